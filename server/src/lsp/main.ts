// Entry point of the bundled server (dist/server.js): stdio or node IPC,
// chosen by the command line (--stdio / --node-ipc).
import { startServer } from './server';

startServer();
