#!/usr/bin/env node
// The `yitong` command. Yitong needs Node.js 24 LTS; npm scripts put the `node@24` devDependency
// first on PATH, so `npm start` and `npx yitong` work even where the system Node is older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `一通需要 Node.js 24 或更高版本（当前 ${process.versions.node}）。请通过 npm start / npx yitong 运行。\n` +
      `Yitong needs Node.js 24+ (this is ${process.versions.node}). Run it through npm start or npx yitong.`,
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
