/**
 * NtCreateFile's CreateDisposition and CreateOptions values, the IO_STATUS_BLOCK.Information an
 * IRP_MJ_CREATE reports (wdm.h), and the FILE_INFORMATION_CLASS values NtQueryInformationFile takes.
 * A driver finds the disposition in the high byte of Parameters.Create.Options and the options in
 * the low 24 bits.
 */

// ---- CreateDisposition ----
/** FILE_SUPERSEDE: replace the file if it exists, else create it. */
export const FILE_SUPERSEDE = 0x00000000;
/** FILE_OPEN: open the file (or device) if it exists, else fail (OPEN_EXISTING's disposition). */
export const FILE_OPEN = 0x00000001;
/** FILE_CREATE: create the file, failing if it exists (CREATE_NEW's disposition). */
export const FILE_CREATE = 0x00000002;
/** FILE_OPEN_IF: open the file if it exists, else create it (OPEN_ALWAYS's disposition). */
export const FILE_OPEN_IF = 0x00000003;
/** FILE_OVERWRITE: open and truncate the file if it exists, else fail (TRUNCATE_EXISTING's disposition). */
export const FILE_OVERWRITE = 0x00000004;
/** FILE_OVERWRITE_IF: open and truncate the file, or create it (CREATE_ALWAYS's disposition). */
export const FILE_OVERWRITE_IF = 0x00000005;
/** FILE_MAXIMUM_DISPOSITION: the highest valid disposition; a larger one is STATUS_INVALID_PARAMETER. */
export const FILE_MAXIMUM_DISPOSITION = 0x00000005;

// ---- CreateOptions ----
/** FILE_DIRECTORY_FILE: the object opened must be a directory. */
export const FILE_DIRECTORY_FILE = 0x00000001;
/** FILE_WRITE_THROUGH: writes reach the medium before they complete. */
export const FILE_WRITE_THROUGH = 0x00000002;
/** FILE_SEQUENTIAL_ONLY: a hint that access is sequential. */
export const FILE_SEQUENTIAL_ONLY = 0x00000004;
/** FILE_NO_INTERMEDIATE_BUFFERING: no caching; transfers must be sector-aligned. */
export const FILE_NO_INTERMEDIATE_BUFFERING = 0x00000008;
/** FILE_SYNCHRONOUS_IO_ALERT: every I/O on the handle is synchronous, and waits are alertable. */
export const FILE_SYNCHRONOUS_IO_ALERT = 0x00000010;
/** FILE_SYNCHRONOUS_IO_NONALERT: every I/O on the handle is synchronous, and waits are not alertable (CreateFile without FILE_FLAG_OVERLAPPED). */
export const FILE_SYNCHRONOUS_IO_NONALERT = 0x00000020;
/** FILE_NON_DIRECTORY_FILE: the object opened must not be a directory. */
export const FILE_NON_DIRECTORY_FILE = 0x00000040;
/** FILE_DELETE_ON_CLOSE: delete the file when its last handle is closed. */
export const FILE_DELETE_ON_CLOSE = 0x00001000;
/** FILE_VALID_OPTION_FLAGS: the bits CreateOptions may have; others are STATUS_INVALID_PARAMETER. */
export const FILE_VALID_OPTION_FLAGS = 0x00ffffff;

// ---- IoStatus.Information of a create ----
/** FILE_SUPERSEDED: the create replaced an existing file. */
export const FILE_SUPERSEDED = 0x00000000;
/** FILE_OPENED: the create opened an existing file (or device). */
export const FILE_OPENED = 0x00000001;
/** FILE_CREATED: the create made a new file. */
export const FILE_CREATED = 0x00000002;
/** FILE_OVERWRITTEN: the create truncated an existing file. */
export const FILE_OVERWRITTEN = 0x00000003;
/** FILE_EXISTS: the file already existed (a failed FILE_CREATE). */
export const FILE_EXISTS = 0x00000004;
/** FILE_DOES_NOT_EXIST: the file did not exist (a failed FILE_OPEN). */
export const FILE_DOES_NOT_EXIST = 0x00000005;

// ---- FILE_INFORMATION_CLASS (the ones the I/O manager answers itself) ----
/** FileAccessInformation: the access the handle was granted (FILE_ACCESS_INFORMATION). */
export const FileAccessInformation = 8;
/** FilePositionInformation: the file object's current byte offset (FILE_POSITION_INFORMATION). */
export const FilePositionInformation = 14;
/** FileModeInformation: the handle's mode flags, FILE_SYNCHRONOUS_IO_* among them (FILE_MODE_INFORMATION). */
export const FileModeInformation = 16;
/** FileAlignmentInformation: the buffer alignment the device requires (FILE_ALIGNMENT_INFORMATION). */
export const FileAlignmentInformation = 17;
/** The highest class number Windows defines (FileMaximumInformation - 1 on recent builds). */
export const FileMaximumInformation = 77;
