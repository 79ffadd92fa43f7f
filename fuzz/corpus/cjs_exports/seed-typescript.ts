import fs = require("fs");
export = { a: 1 };
const typed: Map<string, number> = new Map();
exports.typed = typed as unknown as number;
