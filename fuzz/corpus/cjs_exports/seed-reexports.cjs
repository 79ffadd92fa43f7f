var __export = (target, all) => { for (var name in all) target[name] = all[name]; };
__export(module.exports, { one: () => one, "two": () => two });
__exportStar(require("./star"), exports);
__reExport(module.exports, require("./re"));
var _y = require("./babel");
Object.keys(_y).forEach(function (key) { exports[key] = _y[key]; });
0 && (module.exports = { three, four: 4, 'five': 5, ...require('./spread') });
module.exports = require("./whole");
