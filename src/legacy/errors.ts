// Errors the import commands report to administrators (through the CLI's UserError handling).
import { addMessages, UserError } from '../i18n/messages.ts';
import type { Bilingual } from './messages.ts';

addMessages({
  'import.profile_invalid': { 'zh-CN': '导入配置无效', en: 'The import profile is not valid' },
  'import.busy': { 'zh-CN': '该部门已有导入任务在运行', en: 'An import for this department is already running' },
  'import.job_unknown': { 'zh-CN': '导入任务不存在', en: 'No such import job' },
  'import.not_resumable': { 'zh-CN': '该导入任务无需继续（已完成或为试运行）', en: 'This import job cannot be resumed (it is finished or was a dry run)' },
  'import.source_changed': {
    'zh-CN': '源文件自任务开始以来已被修改或替换，无法继续；请用修改后的文件重新导入（已导入的账号不会重复）',
    en: 'The source file changed since the job started, so it cannot be resumed; import the new file instead (accounts already imported are not duplicated)',
  },
  'import.file_required': { 'zh-CN': '请指定要导入的文件', en: 'Name the file to import' },
  'import.file_not_allowed': { 'zh-CN': 'SQL 数据源不需要文件参数', en: 'An SQL source takes no file argument' },
  'import.failed': { 'zh-CN': '导入失败', en: 'The import failed' },
  'import.conflict_unknown': { 'zh-CN': '待审核记录不存在', en: 'No such conflict' },
  'import.conflict_decided': { 'zh-CN': '该记录已审核', en: 'This conflict has already been decided' },
  'import.decision_required': { 'zh-CN': '请选择 --merge 或 --keep-apart 之一', en: 'Choose one of --merge or --keep-apart' },
  'import.account_exists': { 'zh-CN': '该原系统账号已关联', en: 'This legacy account is already linked' },
});

/**
 * An import that stopped: bad input under on_error "stop", or a source that cannot be read on.
 * The message says where (file, row, column) and which job to look at.
 */
export class ImportFailed extends UserError {
  readonly jobId: string | null;
  readonly reason: Bilingual;
  constructor(code: string, jobId: string | null, reason: Bilingual) {
    super('import.failed', 422);
    this.code = code;
    this.jobId = jobId;
    this.reason = reason;
    this.message = jobId
      ? `导入已停止（任务 ${jobId}）：${reason.zh} / import stopped (job ${jobId}): ${reason.en}`
      : `无法导入：${reason.zh} / cannot import: ${reason.en}`;
  }
}
