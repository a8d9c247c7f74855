// @graft/selftrain: public API (filled in by the modules of this package).
export {};
