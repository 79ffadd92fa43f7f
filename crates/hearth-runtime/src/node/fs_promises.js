// node:fs/promises — the promise forms of node:fs.
import { promises } from 'node:fs';

export const {
  access, appendFile, chmod, chown, constants, copyFile, cp, lchown, lstat, mkdir, mkdtemp, readdir, readFile,
  realpath, rename, rm, rmdir, stat, truncate, unlink, utimes, writeFile,
} = promises;

export default promises;
