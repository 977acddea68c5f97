/**
 * NtCreateFile's CreateDisposition and CreateOptions values, the IO_STATUS_BLOCK.Information an
 * IRP_MJ_CREATE reports (wdm.h), and the FILE_INFORMATION_CLASS values NtQueryInformationFile takes.
 * A driver finds the disposition in the high byte of Parameters.Create.Options and the options in
 * the low 24 bits.
 */

// ---- CreateDisposition ----
export const FILE_SUPERSEDE = 0x00000000;
export const FILE_OPEN = 0x00000001;
export const FILE_CREATE = 0x00000002;
export const FILE_OPEN_IF = 0x00000003;
export const FILE_OVERWRITE = 0x00000004;
export const FILE_OVERWRITE_IF = 0x00000005;
export const FILE_MAXIMUM_DISPOSITION = 0x00000005;

// ---- CreateOptions ----
export const FILE_DIRECTORY_FILE = 0x00000001;
export const FILE_WRITE_THROUGH = 0x00000002;
export const FILE_SEQUENTIAL_ONLY = 0x00000004;
export const FILE_NO_INTERMEDIATE_BUFFERING = 0x00000008;
export const FILE_SYNCHRONOUS_IO_ALERT = 0x00000010;
export const FILE_SYNCHRONOUS_IO_NONALERT = 0x00000020;
export const FILE_NON_DIRECTORY_FILE = 0x00000040;
export const FILE_DELETE_ON_CLOSE = 0x00001000;
export const FILE_VALID_OPTION_FLAGS = 0x00ffffff;

// ---- IoStatus.Information of a create ----
export const FILE_SUPERSEDED = 0x00000000;
export const FILE_OPENED = 0x00000001;
export const FILE_CREATED = 0x00000002;
export const FILE_OVERWRITTEN = 0x00000003;
export const FILE_EXISTS = 0x00000004;
export const FILE_DOES_NOT_EXIST = 0x00000005;

// ---- FILE_INFORMATION_CLASS (the ones the I/O manager answers itself) ----
export const FileAccessInformation = 8;
export const FilePositionInformation = 14;
export const FileModeInformation = 16;
export const FileAlignmentInformation = 17;
/** The highest class number Windows defines (FileMaximumInformation - 1 on recent builds). */
export const FileMaximumInformation = 77;
