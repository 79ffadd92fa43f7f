module.exports = { alpha, beta: 2, "gamma-delta": 3, [computed]: 4, get epsilon() { return 5; } };
