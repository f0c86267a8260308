/** SeaBIOS's warning lines (src/output.c __warn_internalerror / __warn_noalloc), `where` = function:line of the release. */
export const internalError = (where: string): string => `WARNING - internal error detected at ${where}!`;
export const noAlloc = (where: string): string => `WARNING - Unable to allocate resource at ${where}!`;
