// Entry point of a page-hashing worker thread (see page-hasher.ts).
import { workerData, type MessagePort } from 'node:worker_threads';
import { serveHashJobs } from './page-hasher';

const { port, ctl } = workerData as { port: MessagePort; ctl: Int32Array };
serveHashJobs(port, ctl);
