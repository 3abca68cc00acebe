import { connect } from '@nodis/client';
const KEY = process.env.KEY ?? 'c';
const db = await connect('unix:///tmp/pp/n.sock');
const mode = process.argv[2] ?? 'pipe';
const BIG = 'processes:100k:' + 'v'.repeat(100 * 1024 - 15);
const secs = Number(process.env.SECS ?? 3); const end = Date.now() + secs * 1000; let n = 0;
while (Date.now() < end) {
  if (mode === 'pipe') { const p = db.pipeline(); for (let i = 0; i < 1000; i++) p.incr(KEY); await p.exec(); n += 1000; }
  else if (mode === 'all') { const ps = []; for (let i = 0; i < 100; i++) ps.push(db.incr(KEY)); await Promise.all(ps); n += 100; }
  else if (mode === 'getbig') { if (n === 0) for (let i = 0; i < 100; i++) await db.set(KEY + i, BIG); for (let i = 0; i < 16; i++) { const v = await db.get(KEY + (i % 100)); if (v.length !== BIG.length) throw new Error('bad'); } n += 16; }
  else if (mode === 'setbig') { for (let i = 0; i < 16; i++) await db.set(KEY + (i % 100), BIG); n += 16; }
  else { for (let i = 0; i < 64; i++) await db.incr(KEY); n += 64; }
}
console.log(mode, Math.round(n / secs), '/s');
await db.close();
