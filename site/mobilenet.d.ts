// Types of mobilenet.js: MobileNet V1 TFLite classifiers in the browser,
// run by a Go engine compiled to WebAssembly, in a Web Worker.

/** One class of a top-k result. */
export interface Prediction {
  /** Class index in the model's output (ImageNet models: 0 is "background"). */
  index: number;
  /** The class's label; "" when the model has none. */
  label: string;
  /** Probability; quantized models give byte/256. null if not finite. */
  score: number | null;
}

/** A tensor of the model. */
export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: 'float32' | 'uint8' | 'int8' | string;
  scale?: number;
  zero_point?: number;
}

/** The loaded model, as the engine describes it (engine.Info), plus the loader's fields. */
export interface ModelInfo {
  input: TensorInfo;
  output: TensorInfo;
  /** The feature vector embed() returns (before dequantizing). */
  embedding: TensorInfo;
  /** Square input side in pixels. */
  input_size: number;
  classes: number;
  /** Op names in execution order. */
  ops: string[];
  macs: number;
  params: number;
  /** Class labels (embedded in the model, or from labels / labelsUrl). */
  labels?: string[];
  /** Requantization scheme of quantized models: "fp32" or "reference". */
  requant: string;
  /** The catalog name or file name the model was loaded from. */
  name: string;
  /** The engine ABI version (wasm/doc.go). */
  abi: number;
  /** True when the SIMD kernels (simd.wasm) run; false on the portable path. */
  simd: boolean;
  /** True when simd.wasm is linked to the engine (even if switched off). */
  simdLinked: boolean;
  /** Whether this browser runs WebAssembly SIMD at all. */
  simdSupported: boolean;
  /** Why simd is false ("" when it is true). */
  simdReason: string;
  /** Which kernels run: "simd-relaxed.wasm" (relaxed SIMD), "simd.wasm" or "portable" (with threads, the shared-memory copy of the file named runs: see threads). */
  kernels: 'simd-relaxed.wasm' | 'simd.wasm' | 'portable';
  /** True when the relaxed SIMD kernels (simd-relaxed.wasm) run. */
  relaxedSimd: boolean;
  /** Whether this browser validates relaxed SIMD. */
  relaxedSimdSupported: boolean;
  /** The engine build that runs (load's engine option): "classify" cannot teach. */
  engine: 'full' | 'classify';
  /**
   * Kernel threads: how many instances of the SIMD kernels split each large
   * layer (1: the single-threaded engine). Above 1 only in a cross-origin
   * isolated page (COOP + COEP headers, as `mobilenet serve` sends) with
   * SIMD; outputs are the same whatever the number.
   */
  threads: number;
  /** Why threads is 1 ("" when it is above 1). */
  threadsReason: string;
  /** What differs between browsers, detected at run time. */
  features: BrowserFeatures;
}

/** Browser capabilities that differ between browsers (site/features.js), on the page unless said. */
export interface BrowserFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  /** wasm threads usable: shared memory, SharedArrayBuffer and cross-origin isolation. */
  threads: boolean;
  crossOriginIsolated: boolean;
  /** OffscreenCanvas with a 2D context on the page. */
  offscreenCanvas: boolean;
  /** OffscreenCanvas in the engine's worker; without it the page sends frames as RGBA. */
  workerCanvas: boolean;
  videoFrame: boolean;
  /** Without Cache Storage, models are downloaded at every load. */
  cacheStorage: boolean;
  /** Without service workers, the page does not work offline. */
  serviceWorker: boolean;
  /** The smallest step of performance.now(), ms (Firefox: 1 without cross-origin isolation). */
  timerResolutionMs: number;
}

/** Download progress of a model or head file. */
export interface Progress {
  url: string;
  loaded: number;
  /** Bytes expected; 0 when the server did not say. */
  total: number;
  /** True when the file came from Cache Storage. */
  cached: boolean;
  done: boolean;
}

export interface LoadOptions {
  /** A model of the server's catalog by name ("mobilenet_v1_0.5_160_quant"), or the .tflite bytes. */
  model?: string | ArrayBuffer | ArrayBufferView | Blob;
  /** The .tflite to fetch (cached in Cache Storage). */
  modelUrl?: string | URL;
  /** The head of a split model (the 1.0_224 quant extractor + head pair). */
  head?: ArrayBuffer | ArrayBufferView | Blob;
  headUrl?: string | URL;
  /** Labels, one per line, overriding embedded ones (one short of the classes gets "background" prepended). */
  labels?: string | string[];
  labelsUrl?: string | URL;
  /** Use the SIMD kernels when the browser has wasm SIMD (default true). */
  simd?: boolean;
  /**
   * Use the relaxed SIMD kernels (simd-relaxed.wasm: fused multiply-adds in
   * the float kernels, float outputs within 1e-5, integer outputs identical)
   * when the browser has relaxed SIMD. Default: true but in Firefox (there
   * simd.wasm): 5-8% faster on float models in Chromium, about 30% slower
   * in Firefox.
   */
  relaxedSimd?: boolean;
   * Kernel threads to run (1 to 16; default defaultThreads()). Above 1 needs
   * a cross-origin isolated page and SIMD, else the model loads on one
   * thread and info.threadsReason says why.
   */
  threads?: number;
  /**
   * The engine build: "full" (default, engine.wasm) or "classify"
   * (engine-classify.wasm: no teaching, a quarter smaller on the wire, for
   * pages that only classify; falls back to engine.wasm on a server
   * without it). teacher() rejects with code 'unsupported' on "classify".
   */
  engine?: 'full' | 'classify';
  /** Quantized arithmetic: "fp32" (default, as TFLite with XNNPACK) or "reference" (TFLite's reference kernels). */
  requant?: 'fp32' | 'reference';
  /**
   * Milliseconds a classify, embed or infer call may go unanswered before
   * the worker is taken for dead (it rejects with code 'crash', as when the
   * worker fails; load again). Default DEFAULT_WATCHDOG_MS (30 s); 0 = never.
   */
  watchdogMs?: number;
  /** Cache downloads in Cache Storage (default true). */
  cache?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Where engine.wasm, simd.wasm, simd-relaxed.wasm and worker.js are (default: next to mobilenet.js). */
  baseUrl?: string | URL;
  /** Where models/catalog.json is (default: baseUrl + "models/"). */
  modelsUrl?: string | URL;
  /** A display name (default: the catalog name or the file name). */
  name?: string;
}

/** Anything classify() and embed() accept. Elements must have loaded. */
export type ImageSource =
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageBitmap
  | ImageData
  | VideoFrame
  | Blob
  | {data: Uint8Array | Uint8ClampedArray; width: number; height: number};

export interface Timing {
  /** Drawing the frame to get its RGBA pixels, in the worker. */
  decodeMs: number;
  /** The engine: crop, resize and inference. */
  engineMs: number;
  /** classify() from call to result, on the page. */
  totalMs: number;
  width: number;
  height: number;
}

export interface TimeResult {
  /** Each timed run, ms. */
  runs: number[];
  median: number;
  p10: number;
  p90: number;
  mean: number;
}

export declare class Classifier {
  readonly info: ModelInfo;
  /** Timing of the last classify(), or null. */
  readonly lastTiming: Timing | null;
  /** The top k classes of an image (default 5), best first; ties go to the lower index. */
  classify(source: ImageSource, options?: {topK?: number}): Promise<Prediction[]>;
  /** The feature vector the model's final layer reads (dequantized). */
  embed(source: ImageSource): Promise<Float32Array>;
  /** Runs a raw input tensor (the model's dtype and shape; float32 little-endian) and returns the raw output bytes. */
  infer(input: ArrayBuffer | ArrayBufferView): Promise<Uint8Array>;
  /** Times inference inside the worker on a raw input (default mid-grey). */
  time(options?: {runs?: number; warmup?: number; input?: ArrayBuffer | ArrayBufferView | null}): Promise<TimeResult>;
  /** Switches between the SIMD and portable kernels; resolves to info.simd. */
  setSimd(on: boolean): Promise<boolean>;
  /** Stops the worker; pending and later calls reject with code "disposed". */
  dispose(): void;
  /** Starts a teaching session on this model: new classes from examples (see Teacher). */
  teacher(options?: TeacherOptions): Promise<Teacher>;
}

export type ErrorCode =
  | 'network'
  | 'load'
  | 'input'
  | 'image'
  | 'argument'
  | 'internal'
  | 'crash'
  | 'alloc'
  | 'unsupported'
  | 'disposed'
  /** Teacher.train or quantize() was cancelled through its signal. */
  | 'aborted';

export declare class MobilenetError extends Error {
  readonly code: ErrorCode;
  /** The engine's status code (wasm/doc.go), or 0. */
  readonly status: number;
}

/** A model of the server's catalog (models/catalog.json from `mobilenet serve`). */
export interface CatalogEntry {
  name: string;
  width: number;
  width_name: string;
  resolution: number;
  quantized: boolean;
  dtype: string;
  macs_millions: number;
  params_millions: number;
  macs: number;
  params: number;
  /** Published ImageNet top-1 / top-5 accuracy, percent. */
  top1: number;
  top5: number;
  /** True when the server has the model's files. */
  available: boolean;
  model_url?: string;
  head_url?: string;
  labels_url?: string;
  embedded_labels: boolean;
  bytes?: number;
}

/** The Cache Storage cache name holding downloaded models. */
export declare const MODEL_CACHE: string;
/** How long a call may go unanswered before its worker is taken for dead (30000 ms). */
export declare const DEFAULT_WATCHDOG_MS: number;
export declare function load(options: LoadOptions): Promise<Classifier>;
export declare function simdSupported(): boolean;
/** Whether this browser validates relaxed SIMD (load({relaxedSimd: true}) then links simd-relaxed.wasm). */
export declare function relaxedSimdSupported(): boolean;
/** Starts fetching and compiling engine.wasm (and simd.wasm or simd-relaxed.wasm, their threaded copies when threads > 1) for a later load(). */
export declare function preload(opts?: {baseUrl?: string; simd?: boolean; relaxedSimd?: boolean; threads?: number; engine?: 'full' | 'classify'}): void;
/** Whether this page can run kernel threads: cross-origin isolated, with SharedArrayBuffer and Atomics. */
export declare function threadsSupported(): boolean;
/** The kernel threads load() runs by default: suggestedThreads(). */
export declare function defaultThreads(): number;
/** The kernel threads worth asking for: the cores reported, at most 4, when threadsSupported() and SIMD; else 1. */
export declare function suggestedThreads(): number;
export declare function catalog(options?: {modelsUrl?: string | URL}): Promise<CatalogEntry[]>;
export declare function fetchBytes(url: string | URL, options?: {onProgress?: (p: Progress) => void; cache?: boolean; signal?: AbortSignal}): Promise<ArrayBuffer>;
export declare function cachedUrls(): Promise<string[]>;
export declare function clearCache(): Promise<void>;

// ---------------------------------------------------------------------------
// Teaching: new classes from a few examples (transfer learning on the
// model's feature vectors, trained in the worker; wasm/doc.go, "Teaching").

export interface TeacherOptions {
  /** The classes to start with (more can be added). */
  classes?: string[];
  /** A saved project (Teacher.save()) to start from. */
  state?: ArrayBuffer | ArrayBufferView;
}

/** A class of a teaching session. */
export interface TeachClass {
  name: string;
  /** Its examples (feature vectors; augmented copies count). */
  count: number;
}

/** One epoch of training. */
export interface TrainProgress {
  /** 1-based, counting all phases. */
  epoch: number;
  /**
   * "float" (early stopping on the held-out examples), then "refit" (from
   * scratch on all the examples, held-out ones included, for 1.25 times the
   * best float epoch; only with held-out examples), then "qat"
   * (quantization-aware) for a uint8 head. "refit" does not score the
   * held-out examples (valAcc and valLoss are -1); in "qat" they are
   * examples the head trained on.
   */
  phase: 'float' | 'refit' | 'qat' | string;
  /** Mean class-weighted cross-entropy of the epoch's training batches. */
  loss: number;
  /** Accuracy of the epoch's training batches, as the loss. */
  trainAcc: number;
  /** Accuracy on the held-out examples; -1 without them (a class with fewer than 3 examples) and during "refit". */
  valAcc: number;
  valLoss: number;
  /** This epoch's head became the best so far. */
  best: boolean;
  done: boolean;
}

/** The session's description. */
export interface TeachInfo {
  /** The model's name (ModelInfo.name) when the session started. */
  model: string;
  /** Feature vector length. */
  dim: number;
  /** The features are uint8: heads train quantization-aware and export in uint8. */
  quant: boolean;
  classes: TeachClass[];
  /** The trained head, or null before training. */
  head: {classes: number; hidden: number; quant: boolean; labels: string[]} | null;
  /** A training is in progress. */
  training: boolean;
  /** The epochs of the current or last training (as the engine reports them, snake_case). */
  history: object[];
}

export interface TrainOptions {
  /** Most float epochs (default 300; early stopping usually ends sooner; 100 without validation). */
  epochs?: number;
  /** Hidden ReLU units (default 0: a softmax layer on the features). */
  hidden?: number;
  lr?: number;
  weightDecay?: number;
  batchSize?: number;
  /** Epochs without improvement before stopping (default 30). */
  patience?: number;
  /** Share of each class held out for early stopping (default 0.2). */
  val?: number;
  seed?: number;
  /** Train a uint8 head (default: when the model is quantized). */
  quant?: boolean;
  qatEpochs?: number;
  /** Called after every epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Cancels training: train() rejects with code "aborted" and the previous head stays. */
  signal?: AbortSignal;
  /** On abort, keep the best head of the cancelled training instead of the previous one. */
  keepPartial?: boolean;
  /** Worker time per step call, ms (default 50): how often progress and cancelling happen. */
  stepMs?: number;
}

/**
 * A teaching session in a classifier's worker. Every error is a
 * MobilenetError with a message for the user: code "input" for examples
 * the engine refuses (an image under 16x16 pixels, training with one class
 * or an empty class, a damaged project), "image" for a file that is not
 * an image, "aborted" for a cancelled training. A failed call changes
 * nothing.
 */
export declare class Teacher {
  /** The last known description. */
  readonly info: TeachInfo;
  readonly classes: TeachClass[];
  /** A head has been trained: classify() and exportModel() work. */
  readonly trained: boolean;
  refresh(): Promise<TeachInfo>;
  /** Adds a class; resolves to its index. Drops the trained head. */
  addClass(name: string): Promise<number>;
  /** Renames a class; the head keeps working. */
  renameClass(index: number, name: string): Promise<void>;
  /** Deletes a class and its examples (later ones move down). Drops the trained head. */
  deleteClass(index: number): Promise<void>;
  /** Embeds an image into a class (plus `augment` augmented copies); resolves to the class's count. */
  addExample(index: number, source: ImageSource, options?: {augment?: number}): Promise<number>;
  /** Adds a feature vector (from Classifier.embed) to a class; resolves to its count. */
  addEmbedding(index: number, embedding: Float32Array | number[]): Promise<number>;
  removeExample(index: number, example: number): Promise<void>;
  /** Removes the examples of one class, or of all without an index. */
  clearClass(index?: number): Promise<void>;
  /** Trains a head on the examples, in steps, and resolves when done. */
  train(options?: TrainOptions): Promise<{epochs: TrainProgress[]; head: TeachInfo['head']}>;
  /** Classifies an image with the trained head: the classes' names as labels. */
  classify(source: ImageSource, options?: {topK?: number}): Promise<Prediction[]>;
  /** The .tflite of the model up to its features plus the head (labels embedded); load() and the widget's model-url take it. */
  exportModel(options?: {name?: string; description?: string}): Promise<Uint8Array>;
  /** The project (classes, examples as feature vectors, head) as bytes. */
  save(): Promise<Uint8Array>;
  /** Replaces the classes, examples and head with a saved project. */
  restore(state: ArrayBuffer | ArrayBufferView): Promise<TeachInfo>;
  /** Ends the session (the classifier stays). */
  dispose(): void;
}

/** A teacher on clf with a saved project: clf.teacher({state}). */
export declare function openProject(clf: Classifier, state: ArrayBuffer | ArrayBufferView): Promise<Teacher>;
/** The model name a saved project was made with ("" if unknown or damaged). */
export declare function projectModel(state: ArrayBuffer | ArrayBufferView): string;

// ---------------------------------------------------------------------------
// Quantization: post-training quantization of a float model in a worker
// (wasm/doc.go, "Quantization").

/** Progress of quantize(): one report per calibration image, then the quantization itself. */
export interface QuantizeProgress {
  /** "calibrate" (done of total images added), "quantize" (writing the model), "done". */
  phase: 'calibrate' | 'quantize' | 'done';
  /** Calibration images added so far. */
  done: number;
  /** Calibration images in all. */
  total: number;
}

/** A step before quantizing: "auto" (the format's default), "on" or "off" (or a boolean). */
export type QuantizeToggle = 'auto' | 'on' | 'off' | boolean;

export interface QuantizeOptions {
  /** "uint8" (default): the release's per-tensor format; "int8": TFLite's current per-channel spec. */
  format?: 'uint8' | 'int8';
  /** Activation ranges: "auto" (default: percentile for uint8, minmax for int8), "minmax", "percentile", "mse". */
  method?: 'auto' | 'minmax' | 'percentile' | 'mse';
  /** Share of values (%) kept at each end by "percentile", in (50, 100]; default 99.999. */
  percentile?: number;
  /** Input / output tensor type (default: the format's own). */
  inputType?: 'uint8' | 'int8' | 'float32';
  outputType?: 'uint8' | 'int8' | 'float32';
  /** Labels to embed, instead of the model's (an array, or one per line). */
  labels?: string[] | string;
  /** Rewrites of the float graph before quantizing (see package quantize). */
  equalize?: QuantizeToggle;
  absorbBias?: QuantizeToggle;
  correctBias?: QuantizeToggle;
  /** Equalization of ReLU6 layers: "keep" (default) or "relu". */
  relu6?: 'keep' | 'relu';
  onProgress?: (p: QuantizeProgress) => void;
  /** Cancels: the worker stops at once and quantize() rejects with code "aborted". */
  signal?: AbortSignal;
  /** Use the SIMD kernels when the browser has wasm SIMD (default true). */
  simd?: boolean;
  /**
   * Kernel threads to run (1 to 16; default defaultThreads()). Above 1 needs
   * a cross-origin isolated page and SIMD, else the model loads on one
   * thread and info.threadsReason says why.
   */
  threads?: number;
  baseUrl?: string | URL;
  modelsUrl?: string | URL;
}

/**
 * Post-training quantization in a worker: calibrates a float .tflite model
 * (bytes, a Blob/File, or a catalog name) on images, in order, with the
 * release's preprocessing, and resolves to the quantized .tflite bytes —
 * byte-identical to `mobilenet quantize` for the same pixels and options.
 * Rejects with code "argument" for no images, "load" for a model that is
 * not a float classifier (already quantized, unsupported operator), "image"
 * for a file that is not an image, "aborted" when cancelled.
 */
export declare function quantize(
  model: string | ArrayBuffer | ArrayBufferView | Blob,
  images: Iterable<ImageSource> | ArrayLike<ImageSource>,
  options?: QuantizeOptions,
): Promise<Uint8Array>;
