// Package train teaches a MobileNet new classes from a few examples:
// transfer learning on the feature vectors that engine.Classifier.Embed
// returns (any of the release's 32 models, float or quantized).
//
// It trains a small head (a softmax layer, optionally after one hidden
// ReLU layer) with mini-batch Adam, decoupled weight decay, class weights
// inverse to class frequency and early stopping on a stratified
// validation split; or it classifies by nearest neighbours (cosine, no
// training). Training runs one epoch per Trainer.Step so that a page can
// show progress and cancel: Head returns the best head so far at any time.
// For a quantized base, the final epochs are quantization-aware (the
// head's weights and activations fake-quantized to uint8 as the release
// quantizes its own, with a straight-through estimator), so that the
// uint8 head Export writes behaves as the head that was validated.
//
// Augment makes mirrored, cropped and brightened copies of images before
// they are embedded, so that 10-60 examples per class generalise.
//
// Export writes one .tflite: the base model's layers up to the feature
// vector, copied untouched, followed by the trained head and a SOFTMAX,
// with the class labels in its metadata; package engine loads it.
//
// Everything is deterministic for a given seed (math/rand/v2 PCG, no map
// iteration), plain Go without files or goroutines, so that it runs in
// the wasm module (GOOS=wasip1) as it does natively. It is not a general
// training library: the heads are at most two fully connected layers.
package train
