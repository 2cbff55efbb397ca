export interface LargeOptions {
    pages?: number;
    gib?: number;
    scattered?: boolean;
    name?: string;
}
export declare function makeLarge(dir: string, o?: LargeOptions): {
    image: string;
    fdt: string;
};
