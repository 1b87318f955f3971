/** The part of unzipper 0.10 (exceljs's own ZIP reader) that xlsx.ts uses: random access by central directory. */
declare module 'unzipper' {
  import type { Readable } from 'node:stream';
  export interface CentralDirectoryFile {
    path: string;
    type: 'File' | 'Directory';
    stream(): Readable;
  }
  export interface CentralDirectory {
    files: CentralDirectoryFile[];
  }
  export const Open: { file(path: string): Promise<CentralDirectory> };
  const unzipper: { Open: typeof Open };
  export default unzipper;
}
