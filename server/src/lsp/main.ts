// Entry point of the bundled server (dist/server.js): stdio or node IPC,
// chosen by the command line (--stdio / --node-ipc). The same bundle runs the
// analysis thread (analysis-worker.ts) when started as a worker.
import { isMainThread, workerData } from 'node:worker_threads';
import { startServer } from './server';
import { runAnalysisWorker, WORKER_ROLE } from './analysis-worker';

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === WORKER_ROLE) runAnalysisWorker();
else startServer();
