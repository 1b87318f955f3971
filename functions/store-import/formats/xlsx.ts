import { InvalidImportError } from '../../_shared/errors.ts';
import type { ParsedTable } from './types.ts';

/**
 * Reads a ZIP container, the shape of an .xlsx workbook. Not supported yet: the workbook reader
 * (exceljs) replaces this, returning a ParsedTable with format 'xlsx' and cell values as strings.
 */
export async function readXlsx(_bytes: AsyncIterable<Uint8Array>, ctx: { file: string }): Promise<ParsedTable> {
  throw new InvalidImportError(
    `${ctx.file}: byte 0: the file is a ZIP archive (an Excel .xlsx workbook?); xlsx is not supported yet: save the sheet as CSV`,
    { file: ctx.file, byte: 0 },
  );
}
