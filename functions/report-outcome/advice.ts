import type { InvalidImportReason } from '../../workflows/step-errors.ts';

/**
 * One sentence the person who dropped the file can act on, chosen by the error's name and, for a
 * refused file, its reason code (InvalidImportError.reason, stored with the import). They have
 * neither the database nor the Step Functions console: the sentence says whether the file must
 * change, and how, or whom to ask.
 */
export function adviceFor(error: { name: string; reason?: string | null; line: number | null; row: number | null; file: string | null }): string {
  const where = [error.line !== null ? `line ${error.line}` : null, error.row !== null ? `data row ${error.row}` : null].filter(Boolean).join(', ');
  const at = where ? ` at ${where}` : '';
  const file = error.file ?? 'the file';
  const reupload = 'then upload it again under imports/ (a new upload is a new import)';
  switch (error.name) {
    case 'InvalidImportError':
      switch (error.reason as InvalidImportReason | null | undefined) {
        case 'encoding':
          return `Save ${file} as UTF-8 (in Excel: "CSV UTF-8"); the bytes${at} are not valid in its encoding; ${reupload}.`;
        case 'field-count':
          return `Fix ${file}${at}: that row has a different number of columns than the header (often an unquoted delimiter or a missing quote); ${reupload}.`;
        case 'unclosed-quote':
          return `Fix ${file}${at}: a quoted value is not closed; ${reupload}.`;
        case 'no-data':
          return `${file} has no data rows to import: export the inventory again with its header and rows, ${reupload}.`;
        case 'not-inventory':
          return `${file} is not an inventory export flowlink reads: export it as CSV (UTF-8), JSON or XLSX, ${reupload}.`;
        case 'invalid-json':
          return `Fix the JSON of ${file}${at} (an array of objects, or one object per line), ${reupload}.`;
        default:
          return `Fix ${file}${at} as the message says, ${reupload}.`;
      }
    case 'InvalidExecutionInputError':
      return `Nothing to change in ${file}: the execution was started with a setting out of its bounds (the message names it); the platform team can start it again with the environment's settings.`;
    case 'TooManyChunksError':
      return `Nothing to change in ${file}: it has more rows than one execution plans in chunks of this size; the platform team starts it again with a larger chunkRows (the message says how large).`;
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
