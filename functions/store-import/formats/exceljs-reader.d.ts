/**
 * exceljs's streaming WorkbookReader on its own: the package's main entry also loads the in-memory
 * Workbook with its writers (jszip, archiver, fast-csv), about 550 KB of bundle that xlsx.ts never runs.
 */
declare module 'exceljs/lib/stream/xlsx/workbook-reader.js' {
  import type ExcelJS from 'exceljs';
  const WorkbookReader: typeof ExcelJS.stream.xlsx.WorkbookReader;
  export default WorkbookReader;
}
