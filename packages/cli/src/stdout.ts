/**
 * A reader that goes away (`nodis-cli --scan | head`, `nodis-cli -r 1000 ping | head -1`) ends
 * nodis-cli quietly with exit
 * code 141, as SIGPIPE ends redis-cli (the shell's 128 + 13), instead of an unhandled EPIPE.
 */
export function exitWhenStdoutCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}
