// Command-line options that several tensorc commands share.

import { Option } from 'commander';

/** commander argument parser of a repeatable option: each use appends its value. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `--input-shape name=dims` (repeatable), pinning a model input's shape. */
export const inputShapeOption = (): Option =>
  new Option('--input-shape <name=dims>', 'pin an input shape, e.g. x=1,3,224,224 (repeatable)').argParser(collect).default([]);
