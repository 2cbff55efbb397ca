"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.seeded = seeded;
// A deterministic PRNG for generated samples (mulberry32), shaped like the builder's RandomLike.
function seeded(seed) {
    let s = seed >>> 0;
    return {
        int(n) {
            let t = (s = (s + 0x6d2b79f5) >>> 0);
            t = Math.imul(t ^ (t >>> 15), t | 1);
            t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
            return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
        },
    };
}
//# sourceMappingURL=seeded.js.map