// node:util/types — type checks on values.
const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

export const isAnyArrayBuffer = (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer);
export const isArrayBuffer = (v) => v instanceof ArrayBuffer;
export const isArrayBufferView = (v) => ArrayBuffer.isView(v);
export const isAsyncFunction = (v) => typeof v === 'function' && tag(v) === 'AsyncFunction';
export const isBigInt64Array = (v) => v instanceof BigInt64Array;
export const isBigUint64Array = (v) => v instanceof BigUint64Array;
export const isBooleanObject = (v) => typeof v === 'object' && tag(v) === 'Boolean';
export const isBoxedPrimitive = (v) => typeof v === 'object' && v !== null && ['Boolean', 'Number', 'String', 'Symbol', 'BigInt'].includes(tag(v));
export const isDataView = (v) => v instanceof DataView;
export const isDate = (v) => v instanceof Date;
export const isFloat32Array = (v) => v instanceof Float32Array;
export const isFloat64Array = (v) => v instanceof Float64Array;
export const isGeneratorFunction = (v) => typeof v === 'function' && /GeneratorFunction$/.test(tag(v));
export const isGeneratorObject = (v) => typeof v === 'object' && v !== null && tag(v) === 'Generator';
export const isInt8Array = (v) => v instanceof Int8Array;
export const isInt16Array = (v) => v instanceof Int16Array;
export const isInt32Array = (v) => v instanceof Int32Array;
export const isMap = (v) => v instanceof Map;
export const isMapIterator = (v) => typeof v === 'object' && v !== null && tag(v) === 'Map Iterator';
export const isNativeError = (v) => v instanceof Error;
export const isNumberObject = (v) => typeof v === 'object' && tag(v) === 'Number';
export const isPromise = (v) => v instanceof Promise;
export const isProxy = () => false;
export const isRegExp = (v) => v instanceof RegExp;
export const isSet = (v) => v instanceof Set;
export const isSetIterator = (v) => typeof v === 'object' && v !== null && tag(v) === 'Set Iterator';
export const isSharedArrayBuffer = (v) => typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer;
export const isStringObject = (v) => typeof v === 'object' && tag(v) === 'String';
export const isSymbolObject = (v) => typeof v === 'object' && tag(v) === 'Symbol';
export const isTypedArray = (v) => ArrayBuffer.isView(v) && !(v instanceof DataView);
export const isUint8Array = (v) => v instanceof Uint8Array;
export const isUint8ClampedArray = (v) => v instanceof Uint8ClampedArray;
export const isUint16Array = (v) => v instanceof Uint16Array;
export const isUint32Array = (v) => v instanceof Uint32Array;
export const isWeakMap = (v) => v instanceof WeakMap;
export const isWeakSet = (v) => v instanceof WeakSet;
export const isKeyObject = () => false;
export const isCryptoKey = (v) => typeof CryptoKey !== 'undefined' && v instanceof CryptoKey;

export default {
  isAnyArrayBuffer, isArrayBuffer, isArrayBufferView, isAsyncFunction, isBigInt64Array, isBigUint64Array,
  isBooleanObject, isBoxedPrimitive, isDataView, isDate, isFloat32Array, isFloat64Array, isGeneratorFunction,
  isGeneratorObject, isInt8Array, isInt16Array, isInt32Array, isMap, isMapIterator, isNativeError,
  isNumberObject, isPromise, isProxy, isRegExp, isSet, isSetIterator, isSharedArrayBuffer, isStringObject,
  isSymbolObject, isTypedArray, isUint8Array, isUint8ClampedArray, isUint16Array, isUint32Array, isWeakMap,
  isWeakSet, isKeyObject, isCryptoKey,
};
