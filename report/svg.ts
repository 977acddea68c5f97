/**
 * SVG helpers for the HTML report: escaping, and text measured without a browser. Labels are set
 * in a monospace font so their width is known from their length, and the layout never depends on
 * fonts the reader's machine happens to have.
 */

/** Width of one character of the report's 12 px monospace text. */
export const CHAR_PX = 7.3;

/** The characters of `text` (code points, so an astral character counts once). */
function chars(text: string): string[] {
  return Array.from(text);
}

/** Escapes text for XML (element content and attribute values). */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The width of `text` in the report's monospace font. */
export function textWidth(text: string, charPx = CHAR_PX): number {
  return chars(text).length * charPx;
}

/** `text` cut to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  const c = chars(text);
  return c.length <= max ? text : `${c.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** `text` broken into lines of at most `max` characters, at spaces where possible. */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let w = word;
    while (chars(w).length > max) {
      if (line) {
        lines.push(line);
        line = "";
      }
      lines.push(chars(w).slice(0, max).join(""));
      w = chars(w).slice(max).join("");
    }
    if (!line) line = w;
    else if (chars(line).length + 1 + chars(w).length <= max) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** A number for an SVG attribute: at most two decimals, no trailing zeros. */
export function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}
