// Bounded memory: read a file several times larger than the whole V8 heap allowed to the reader.
// If any stage buffered the file (or its records), the child process would die out of memory.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { expect, it } from 'vitest';
import { tempDir } from './tmp-files.ts';

const write = tempDir();
const ROWS = 400_000;

it('reads a GBK file far larger than its heap limit', async () => {
  const file = write('big.csv', '');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, iconv.encode('yhid,xm,sfzh,bz\n', 'gbk'));
  for (let start = 1; start <= ROWS; start += 10_000) {
    let text = '';
    for (let i = start; i < start + 10_000; i++) text += `${i},张三丰${i % 97},11010519491231002X,"备注：这是一段用来把文件撑大的说明文字，第${i}行"\n`;
    fs.writeSync(fd, iconv.encode(text, 'gbk'));
  }
  fs.closeSync(fd);
  expect(fs.statSync(file).size).toBeGreaterThan(30 * 2 ** 20);

  const readers = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/legacy/readers/index.ts')).href;
  const script = write(
    'count.ts',
    `import { openCsvReader } from ${JSON.stringify(readers)};
let n = 0;
for await (const item of openCsvReader({ file: ${JSON.stringify(file)}, encoding: 'auto', requiredColumns: [{ field: 'legacy_uid', column: 'yhid' }] })) if (item.ok) n++;
console.log(JSON.stringify({ n }));`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--max-old-space-size=24', script], { cwd: path.resolve(import.meta.dirname, '../../..') });
  expect(JSON.parse(stdout)).toEqual({ n: ROWS });
}, 120_000);
