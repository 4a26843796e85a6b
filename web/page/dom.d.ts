// The page runs in a browser. tsc checks the project as one program, so these DOM types are
// visible everywhere; only web/page/ may use them.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
