"use strict";
// View models shared by the worker, the extension host and the webview. Plain data only:
// addresses and 64-bit sizes are lower-case `0x…` strings, counts are numbers.
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_MAP_CELLS = exports.MAP_PRESERVED = exports.MAP_CLIENT_BLOB = exports.MAP_TRACKER_NODE = exports.MAP_RAM = exports.MAP_NOT_IN_DUMP = void 0;
/** Map cell classes; preserved cells are MAP_PRESERVED + order. */
exports.MAP_NOT_IN_DUMP = 0;
exports.MAP_RAM = 1;
exports.MAP_TRACKER_NODE = 2;
exports.MAP_CLIENT_BLOB = 3;
exports.MAP_PRESERVED = 16;
exports.MAX_MAP_CELLS = 1 << 17;
//# sourceMappingURL=model.js.map