// Lint configuration: typescript-eslint's strict type-checked rules over every TypeScript file.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bin/**", "scratch/**", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // WDK names (IRP_MJ_*, STATUS_*, IoCompleteRequest) are the point: no naming rule.
      "@typescript-eslint/naming-convention": "off",
      // Numbers in template strings are how NT values print (0x%08X is done by hand).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // Bit operations on NTSTATUS and PTE values are deliberate.
      "no-bitwise": "off",
      // Driver code mirrors C: loops over constant conditions are common (for (;;)).
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-invalid-void-type": "off",
      "@typescript-eslint/no-extraneous-class": "off",
      // Rethrowing a captured `unknown` (an emulated thread's error) is how errors cross threads.
      "@typescript-eslint/only-throw-error": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
