// Performance: the clock (`performance.now()`, `timeOrigin`) and minimal
// User Timing (`mark`, `measure` and the entry list).
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (cls) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  const ILLEGAL = Symbol('illegal constructor');
  const origin = native.now();
  const now = () => native.now() - origin;

  class PerformanceEntry {
    #name; #entryType; #startTime; #duration;
    constructor(key, name, entryType, startTime, duration) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      this.#name = name;
      this.#entryType = entryType;
      this.#startTime = startTime;
      this.#duration = duration;
    }
    get name() { return this.#name; }
    get entryType() { return this.#entryType; }
    get startTime() { return this.#startTime; }
    get duration() { return this.#duration; }
    toJSON() { return { name: this.#name, entryType: this.#entryType, startTime: this.#startTime, duration: this.#duration }; }
  }
  tag(PerformanceEntry);

  const cloneDetail = (detail) => (detail === undefined || detail === null ? null : structuredClone(detail));

  class PerformanceMark extends PerformanceEntry {
    #detail;
    constructor(markName, markOptions = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'PerformanceMark': 1 argument required, but only 0 present.");
      const options = markOptions == null ? {} : markOptions;
      let start = now();
      if (options.startTime !== undefined) {
        start = Number(options.startTime);
        if (!(start >= 0)) throw new TypeError("Failed to construct 'PerformanceMark': 'startTime' cannot be negative.");
      }
      super(ILLEGAL, `${markName}`, 'mark', start, 0);
      this.#detail = cloneDetail(options.detail);
    }
    get detail() { return this.#detail; }
    toJSON() { return { ...super.toJSON(), detail: this.#detail }; }
  }
  tag(PerformanceMark);

  class PerformanceMeasure extends PerformanceEntry {
    #detail;
    constructor(key, name, start, duration, detail) {
      super(key, name, 'measure', start, duration);
      this.#detail = detail;
    }
    get detail() { return this.#detail; }
    toJSON() { return { ...super.toJSON(), detail: this.#detail }; }
  }
  tag(PerformanceMeasure);

  class Performance extends EventTarget {
    #entries = [];
    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      super();
    }
    get timeOrigin() { return origin; }
    now() { return now(); }
    toJSON() { return { timeOrigin: origin }; }

    mark(markName, markOptions = undefined) {
      const mark = new PerformanceMark(markName, markOptions);
      this.#entries.push(mark);
      return mark;
    }

    measure(measureName, startOrMeasureOptions = undefined, endMark = undefined) {
      const options = startOrMeasureOptions !== null && typeof startOrMeasureOptions === 'object' ? startOrMeasureOptions : null;
      if (options && (options.start !== undefined || options.end !== undefined || options.duration !== undefined || options.detail !== undefined)) {
        if (endMark !== undefined) throw new TypeError("Failed to execute 'measure' on 'Performance': options and an end mark cannot both be given.");
        if (options.start === undefined && options.end === undefined) throw new TypeError("Failed to execute 'measure' on 'Performance': options need a start or an end.");
        if (options.start !== undefined && options.end !== undefined && options.duration !== undefined)
          throw new TypeError("Failed to execute 'measure' on 'Performance': start, end and duration cannot all be given.");
      }
      let end;
      if (endMark !== undefined) end = this.#timestamp(endMark);
      else if (options && options.end !== undefined) end = this.#timestamp(options.end);
      else if (options && options.start !== undefined && options.duration !== undefined) end = this.#timestamp(options.start) + Number(options.duration);
      else end = now();
      let start = 0;
      if (options && options.start !== undefined) start = this.#timestamp(options.start);
      else if (options && options.duration !== undefined && options.end !== undefined) start = end - Number(options.duration);
      else if (!options && startOrMeasureOptions !== undefined) start = this.#timestamp(startOrMeasureOptions);
      const measure = new PerformanceMeasure(ILLEGAL, `${measureName}`, start, end - start, cloneDetail(options ? options.detail : undefined));
      this.#entries.push(measure);
      return measure;
    }

    // A mark name (its latest mark) or a time in milliseconds.
    #timestamp(mark) {
      if (typeof mark === 'number') {
        if (mark < 0) throw new TypeError(`'${mark}' cannot be negative.`);
        return mark;
      }
      const name = `${mark}`;
      for (let i = this.#entries.length - 1; i >= 0; i--) {
        const e = this.#entries[i];
        if (e.entryType === 'mark' && e.name === name) return e.startTime;
      }
      throw new DOMException(`The mark '${name}' does not exist.`, 'SyntaxError');
    }

    getEntries() { return this.#entries.slice(); }
    getEntriesByType(type) { return this.#entries.filter((e) => e.entryType === `${type}`); }
    getEntriesByName(name, type = undefined) {
      return this.#entries.filter((e) => e.name === `${name}` && (type === undefined || e.entryType === `${type}`));
    }
    clearMarks(markName = undefined) { this.#clear('mark', markName); }
    clearMeasures(measureName = undefined) { this.#clear('measure', measureName); }
    #clear(type, name) {
      this.#entries = this.#entries.filter((e) => e.entryType !== type || (name !== undefined && e.name !== `${name}`));
    }
  }
  tag(Performance);

  for (const cls of [Performance, PerformanceEntry, PerformanceMark, PerformanceMeasure]) hide(globalThis, cls.name, cls);
  hide(globalThis, 'performance', new Performance(ILLEGAL));
})();
