/**
 * A model version's `calibration.json`: the calibration of every score its graph computes (each
 * score's own held-out normal scores, thresholds and histogram, as calibration-file.ts defines one),
 * and which score a request gets when it names none.
 *
 *   { version: 2, model, input, defaultScore, scores: { mse: {...}, chi2: {...}, ... }, createdAt }
 *
 * Version-1 files (one MSE calibration, the shipped v1 models) are read as a file with one score.
 */
import { DarklensError } from '../errors.js';
import { MSE_SCORE } from '../onnx/contract.js';
import {
  buildCalibration,
  CALIBRATION_VERSION,
  parseCalibration,
  type BuildCalibrationOptions,
  type CalibrationFile,
  type CalibrationInput,
  type CalibrationModel,
} from './calibration-file.js';
import { Calibrator, parseCalibrationText } from './scoring.js';

export const MODEL_CALIBRATION_VERSION = 2;

/** One score's part of the file: a CalibrationFile without what the whole file shares. */
export type ScoreSection = Pick<CalibrationFile, 'calibration' | 'thresholds' | 'histogram'> & { definition: string };

export interface ModelCalibrationFile {
  version: typeof MODEL_CALIBRATION_VERSION;
  model: CalibrationModel;
  input: CalibrationInput;
  /** The score used when a request names none. */
  defaultScore: string;
  /** Per score, in the order the graph outputs them. */
  scores: Record<string, ScoreSection>;
  /** ISO 8601 time the file was built. */
  createdAt: string;
}

function bad(message: string): never {
  throw new DarklensError('invalid_argument', `calibration ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The single-score CalibrationFile of score `name` (what a Calibrator reads). */
export function scoreFile(file: ModelCalibrationFile, name: string): CalibrationFile {
  const s = Object.hasOwn(file.scores, name) ? file.scores[name] : undefined;
  if (s === undefined) throw new DarklensError('not_found', `score "${name}" is not calibrated for ${file.model.name}; calibrated: ${Object.keys(file.scores).join(', ')}`);
  return {
    version: CALIBRATION_VERSION,
    model: file.model,
    score: { name, definition: s.definition },
    input: file.input,
    calibration: s.calibration,
    thresholds: s.thresholds,
    histogram: s.histogram,
    createdAt: file.createdAt,
  };
}

function section(f: CalibrationFile): ScoreSection {
  return { definition: f.score.definition, calibration: f.calibration, thresholds: f.thresholds, histogram: f.histogram };
}

/**
 * Validates a parsed calibration.json of version 2 (or 1) and returns a fresh typed copy; each score
 * is checked as parseCalibration checks a whole file. Throws DarklensError('invalid_argument') naming
 * the first bad field.
 */
export function parseModelCalibration(json: unknown): ModelCalibrationFile {
  if (isObject(json) && json.version === CALIBRATION_VERSION) {
    const one = parseCalibration(json);
    return { version: MODEL_CALIBRATION_VERSION, model: one.model, input: one.input, defaultScore: one.score.name, scores: { [one.score.name]: section(one) }, createdAt: one.createdAt };
  }
  if (!isObject(json)) bad(`(root) is not an object; a calibration.json object is expected`);
  if (json.version !== MODEL_CALIBRATION_VERSION) bad(`version is ${JSON.stringify(json.version)}; this darklens reads calibration versions ${CALIBRATION_VERSION} and ${MODEL_CALIBRATION_VERSION}`);
  const allowed = ['version', 'model', 'input', 'defaultScore', 'scores', 'createdAt'];
  for (const k of Object.keys(json)) if (!allowed.includes(k)) bad(`(root) has unknown field "${k}"; accepted fields: ${allowed.join(', ')}`);
  if (!isObject(json.scores) || Object.keys(json.scores).length === 0) bad('scores is missing or empty; one calibration per score is expected');
  const scores: Record<string, ScoreSection> = {};
  let first: CalibrationFile | undefined;
  for (const [name, raw] of Object.entries(json.scores)) {
    if (!isObject(raw)) bad(`scores.${name} is not an object`);
    const { definition, ...rest } = raw;
    let f: CalibrationFile;
    try {
      f = parseCalibration({ ...rest, version: CALIBRATION_VERSION, model: json.model, input: json.input, createdAt: json.createdAt, score: { name, definition } });
    } catch (e) {
      if (!(e instanceof DarklensError)) throw e;
      throw new DarklensError('invalid_argument', e.message.replace(/^calibration /, `calibration scores.${name}: `), { cause: e });
    }
    first ??= f;
    scores[name] = section(f);
  }
  const defaultScore = json.defaultScore;
  if (typeof defaultScore !== 'string' || !Object.hasOwn(scores, defaultScore)) {
    bad(`defaultScore is ${JSON.stringify(defaultScore)}; accepted: one of the calibrated scores (${Object.keys(scores).join(', ')})`);
  }
  return { version: MODEL_CALIBRATION_VERSION, model: first!.model, input: first!.input, defaultScore, scores, createdAt: first!.createdAt };
}

export interface BuildModelCalibrationOptions extends Omit<BuildCalibrationOptions, 'score' | 'scores' | 'labelled'> {
  /** Each score's values on the held-out NORMAL images (any order), by score name. */
  scores: Record<string, ArrayLike<number>>;
  /** The score requests get by default (default 'mse'). Manual thresholds are in its units and stored with it alone. */
  defaultScore?: string;
  /** Labelled values per score (true/1 = anomaly) for "f1" / "youden" thresholds. */
  labelled?: { scores: Record<string, ArrayLike<number>>; labels: ArrayLike<boolean | number>; metrics?: NonNullable<BuildCalibrationOptions['labelled']>['metrics'] };
}

/** Calibrates every score of `options.scores` with the same thresholds settings; the result has passed parseModelCalibration. */
export function buildModelCalibration(options: BuildModelCalibrationOptions): ModelCalibrationFile {
  const { scores, defaultScore, labelled, manual, ...common } = options;
  const main = defaultScore ?? MSE_SCORE;
  const createdAt = common.createdAt instanceof Date ? common.createdAt.toISOString() : (common.createdAt ?? new Date().toISOString());
  const sections: Record<string, ScoreSection> = {};
  let first: CalibrationFile | undefined;
  for (const [name, values] of Object.entries(scores)) {
    const l = labelled?.scores[name];
    const f = buildCalibration({
      ...common,
      createdAt,
      score: name,
      scores: values,
      ...(manual !== undefined && name === main ? { manual } : {}),
      ...(labelled !== undefined && l !== undefined ? { labelled: { scores: l, labels: labelled.labels, ...(labelled.metrics !== undefined ? { metrics: labelled.metrics } : {}) } } : {}),
    });
    first ??= f;
    sections[name] = section(f);
  }
  if (first === undefined) throw new DarklensError('invalid_argument', 'buildModelCalibration needs at least one score');
  return parseModelCalibration({ version: MODEL_CALIBRATION_VERSION, model: first.model, input: first.input, defaultScore: main, scores: sections, createdAt });
}

/** A model version's calibration: one Calibrator per score, and the default score. */
export class ModelCalibration {
  readonly file: ModelCalibrationFile;
  private readonly calibrators = new Map<string, Calibrator>();

  /** Validates the file (version 1 or 2, a parsed object) and prepares each score's Calibrator. */
  constructor(json: unknown) {
    this.file = parseModelCalibration(json);
    for (const name of Object.keys(this.file.scores)) this.calibrators.set(name, new Calibrator(scoreFile(this.file, name)));
  }

  /** Parses a calibration.json text. */
  static fromJSON(text: string): ModelCalibration {
    return new ModelCalibration(parseCalibrationText(text));
  }

  get input(): CalibrationInput {
    return this.file.input;
  }

  get defaultScore(): string {
    return this.file.defaultScore;
  }

  /** Calibrated score names, in file order. */
  get names(): string[] {
    return [...this.calibrators.keys()];
  }

  /** The Calibrator of score `name` (the default score when omitted); 404 naming the calibrated ones. */
  score(name: string = this.file.defaultScore): Calibrator {
    const c = this.calibrators.get(name);
    if (c === undefined) throw new DarklensError('not_found', `score "${name}" is not calibrated for model ${this.file.model.name}; calibrated: ${this.names.join(', ')}`);
    return c;
  }
}
