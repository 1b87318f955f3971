/**
 * One sentence the person who dropped the file can act on, by the error's name and what it says.
 * They have neither the database nor the Step Functions console: the sentence says whether the file
 * must change, and how, or whom to ask.
 */
export function adviceFor(error: { name: string; message: string; line: number | null; row: number | null; file: string | null }): string {
  const where = [error.line !== null ? `line ${error.line}` : null, error.row !== null ? `data row ${error.row}` : null].filter(Boolean).join(', ');
  const at = where ? ` at ${where}` : '';
  const file = error.file ?? 'the file';
  const reupload = 'then upload it again under imports/ (a new upload is a new import)';
  const m = error.message;
  switch (error.name) {
    case 'InvalidImportError':
      if (/not valid utf-|encoding|byte order mark|in the middle of a .* character|UTF-16/i.test(m)) {
        return `Save ${file} as UTF-8 (in Excel: "CSV UTF-8"); the bytes${at} are not valid in its encoding; ${reupload}.`;
      }
      if (/fields but the header has/i.test(m)) {
        return `Fix ${file}${at}: that row has a different number of columns than the header (often an unquoted delimiter or a missing quote); ${reupload}.`;
      }
      if (/quote/i.test(m)) return `Fix ${file}${at}: a quoted value is not closed; ${reupload}.`;
      if (/empty|no data|no records|no header/i.test(m)) return `${file} has no data rows to import: export the inventory again with its header and rows, ${reupload}.`;
      if (/not a CSV or JSON|NUL character|not a text file/i.test(m)) {
        return `${file} is not an inventory export flowlink reads: export it as CSV (UTF-8), JSON or XLSX, ${reupload}.`;
      }
      if (/JSON/i.test(m)) return `Fix the JSON of ${file}${at} (an array of objects, or one object per line), ${reupload}.`;
      return `Fix ${file}${at} as the message says, ${reupload}.`;
    case 'TooManyRejectedRowsError':
      return `Too many rows of ${file} could not be read: fix the rows listed in the errors file (the rejected rows file holds them, with the header), ${reupload}.`;
    case 'TenantError':
      return 'The client account or engagement in the upload path does not exist (or do not belong together): check the path imports/<client_account_id>/<engagement_id>/ with the platform team before uploading again.';
    case 'IntegrityViolationError':
      return 'The file was read, but the platform found inconsistent links in the data it wrote: nothing to change in the file; send this report (dataImportId, flowId) to the platform team.';
    case 'LinkCountMismatchError':
      return 'Not all rows could be linked to the import: nothing to change in the file; the platform team can replay the execution named in this report.';
    default:
      return `An internal error (${error.name}) stopped the import, not the content of the file: the platform team can replay the execution named in this report; there is no need to upload again.`;
  }
}
