"use strict";
// Requests the extension host sends to the decode worker (src/node/decodeWorker.ts).
// One worker holds one opened dump. Every list is paged: never a million items in one message.
Object.defineProperty(exports, "__esModule", { value: true });
exports.WORKER_PROTOCOL = void 0;
/** Bumped whenever a method or a payload changes shape. */
exports.WORKER_PROTOCOL = 1;
//# sourceMappingURL=worker.js.map