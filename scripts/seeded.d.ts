export declare function seeded(seed: number): {
    int(n: number): number;
};
