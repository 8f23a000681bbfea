/** Shapes of the import API as the upload page uses them (see src/modules/import/routes.ts). */

export type DateFormat = 'YYYY-MM-DD' | 'MM/DD/YYYY' | 'DD/MM/YYYY';
export const DATE_FORMATS: DateFormat[] = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY'];

export interface ImportPreview {
  headers: string[];
  mapping: Record<string, string>;
  rows: Array<{ line: number; values: Record<string, string> }>;
  rowCount: number;
  delimiter: string;
  warnings: string[];
  targets: Array<{ value: string; label: string }>;
}

export interface ImportProblem {
  line: number;
  field: string;
  value: string;
  message: string;
}

export interface ImportRun {
  id: string;
  filename: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  dryRun: boolean;
  mapping: Record<string, string>;
  options: { dateFormat: DateFormat };
  totalRows: number;
  processedRows: number;
  counts: { created: number; updated: number; unchanged: number; failed: number; sentToReview: number };
  problems: ImportProblem[];
  problemsNotShown: number;
  warnings: string[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const isFinished = (run: ImportRun): boolean => run.status === 'completed' || run.status === 'failed';
