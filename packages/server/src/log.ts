/**
 * Log lines in redis-server's shape (`pid:M 23 Nov 2026 23:30:00.123 * message`), so operators
 * and their log tooling read them the same way. Levels as Redis: debug, verbose, notice, warning.
 */
export type Logger = (level: string, message: string) => void;

const LEVELS: Record<string, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARKS: Record<string, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function createLogger(threshold: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const min = LEVELS[threshold] ?? 2;
  return (level, message) => {
    if ((LEVELS[level] ?? 2) < min) return;
    const d = new Date();
    const p2 = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    write(`${process.pid}:M ${stamp} ${MARKS[level] ?? '*'} ${message}\n`);
  };
}
