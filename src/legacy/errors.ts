// Errors the import commands report to administrators (through the CLI's error handling).
import { AppError } from '../errors.ts';
import type { Bilingual } from './messages.ts';

/**
 * An import that stopped: bad input under on_error "stop", or a source that cannot be read on.
 * The message says where (file, row, column) and which job to look at.
 */
export class ImportFailed extends AppError {
  readonly jobId: string | null;
  readonly reason: Bilingual;
  constructor(code: string, jobId: string | null, reason: Bilingual) {
    super(code, 'unprocessable');
    this.jobId = jobId;
    this.reason = reason;
    this.message = jobId
      ? `导入已停止（任务 ${jobId}）：${reason.zh} / import stopped (job ${jobId}): ${reason.en}`
      : `无法导入：${reason.zh} / cannot import: ${reason.en}`;
  }
}
