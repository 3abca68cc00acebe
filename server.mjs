import { startServer } from '@nodis/server';
const server = await startServer({ config: { port: '0', unixsocket: '', nativesocket: '/tmp/pp/n.sock', dir: '/tmp/pp' }, logLevel: 'warning' });
process.send?.('ready');
process.on('message', async (m) => { if (m === 'stop') { await server.close(); process.exit(0); } });
