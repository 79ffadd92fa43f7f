// node:assert/strict — assert with strict equality everywhere.
import assert from 'node:assert';

const strict = assert.strict;
export default strict;
export const { AssertionError, ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual, notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, ifError, match, doesNotMatch, fail } = strict;
