// Package store keeps the release's models in a models folder on the
// user's machine (DefaultDir): a manifest of SHA-256 checksums, fetching
// the official archives (retries, resume, progress), importing local
// .tflite files and release archives, finding which catalog models a
// folder holds by their shapes (Scan), and the weights benchmarks run
// (Sources: real where a folder has them, synthetic twins otherwise).
//
// It never redistributes weights: the files live in the user's folder,
// never in the project. The catalog and the recognition of a file are
// package models'; this package only stores what they name.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
)

// EnvDir names the environment variable that overrides the default models
// folder.
const EnvDir = "MOBILENET_MODELS"

// ManifestFile is the manifest's name inside a models folder.
const ManifestFile = "manifest.json"

// DefaultDir is the models folder: $MOBILENET_MODELS when set, otherwise
// mobilenet-wasm/models under the user's cache folder
// (os.UserCacheDir: ~/.cache on Linux, ~/Library/Caches on macOS,
// %LocalAppData% on Windows).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("store: no models folder: set %s (%v)", EnvDir, err)
	}
	return filepath.Join(c, "mobilenet-wasm", "models"), nil
}

// Record is the manifest's entry for one file of the folder.
type Record struct {
	// File is the file's name in the folder.
	File string `json:"file"`
	// Model is the catalog entry the file is (or is a part of); empty for
	// a file that is not one of the release's models.
	Model string `json:"model,omitempty"`
	// Part is "extractor" or "head" for the halves of a split model.
	Part string `json:"part,omitempty"`
	// SHA256 (hex) and Size are the file's checksum and length.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Source is where the file came from: the archive URL for fetched
	// files, "import:<absolute path>" for imported ones.
	Source string `json:"source"`
	// ArchiveSHA256 is the checksum of the fetched archive.
	ArchiveSHA256 string `json:"archive_sha256,omitempty"`
	// Synthetic is true for files written by models.Synth (random weights).
	Synthetic bool `json:"synthetic,omitempty"`
	// Added is when the file was stored.
	Added time.Time `json:"added"`
}

// Manifest lists the files of a models folder with their checksums. It is
// DIR/manifest.json, written atomically whenever a file is stored.
type Manifest struct {
	Version int      `json:"version"`
	Files   []Record `json:"files"`
}

// manifestVersion is the format version this package writes and reads.
const manifestVersion = 1

// Folder is a models folder: <name>.tflite files (or a split model's
// <name>_embedding_extractor.tflite and <name>_head_layers.tflite) and
// the manifest. Other files are left alone.
type Folder struct{ Dir string }

// ReadManifest reads the folder's manifest; a folder without one has an
// empty manifest.
func (f Folder) ReadManifest() (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(f.Dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Version: manifestVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("store: %s: %w", filepath.Join(f.Dir, ManifestFile), err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("store: %s: version %d, want %d", filepath.Join(f.Dir, ManifestFile), m.Version, manifestVersion)
	}
	return &m, nil
}

// Record returns the manifest's record of file.
func (m *Manifest) Record(file string) (Record, bool) {
	for _, r := range m.Files {
		if r.File == file {
			return r, true
		}
	}
	return Record{}, false
}

// put adds or replaces the record of r.File, keeping the files sorted.
func (m *Manifest) put(r Record) {
	m.Files = slices.DeleteFunc(m.Files, func(x Record) bool { return x.File == r.File })
	m.Files = append(m.Files, r)
	slices.SortFunc(m.Files, func(a, b Record) int { return strings.Compare(a.File, b.File) })
}

// writeManifest writes m atomically.
func (f Folder) writeManifest(m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(f.Dir, ManifestFile), append(b, '\n'))
}

// Presence is where a catalog entry is in the folder.
type Presence struct {
	// Files are the model's paths, in the order the engine chains them:
	// one whole model, or the extractor then the head.
	Files []string
	// Split is true when the model is there as extractor and head.
	Split bool
	// Synthetic is true when the manifest says the files are synthetic.
	Synthetic bool
}

// Find looks for entry e in the folder: <name>.tflite, else both halves of
// a split model.
func (f Folder) Find(e models.Entry, m *Manifest) (Presence, bool) {
	synthetic := func(files ...string) bool {
		for _, file := range files {
			if r, ok := m.Record(file); ok && r.Synthetic {
				return true
			}
		}
		return false
	}
	if f.exists(e.File()) {
		return Presence{Files: []string{filepath.Join(f.Dir, e.File())}, Synthetic: synthetic(e.File())}, true
	}
	ext, head := models.Match{Entry: e, Part: models.Extractor}.File(), models.Match{Entry: e, Part: models.Head}.File()
	if f.exists(ext) && f.exists(head) {
		return Presence{Files: []string{filepath.Join(f.Dir, ext), filepath.Join(f.Dir, head)}, Split: true, Synthetic: synthetic(ext, head)}, true
	}
	return Presence{}, false
}

func (f Folder) exists(file string) bool {
	st, err := os.Stat(filepath.Join(f.Dir, file))
	return err == nil && st.Mode().IsRegular()
}

// ImportOptions control Folder.Import.
type ImportOptions struct {
	// Force replaces a file of the same name with different contents.
	Force bool
	// AllowSynthetic imports files written by models.Synth; without it they are
	// refused, so that random weights never pass for the release's.
	AllowSynthetic bool
}

// Imported is what Import did with one model file.
type Imported struct {
	Record Record
	// Match is the catalog entry recognised; Known is false for a file
	// that is not one of the release's models.
	Match models.Match
	Known bool
	// Unchanged is true when the folder already held the same bytes.
	Unchanged bool
}

// ImportFile adds a local model to the folder: a .tflite file, or a
// release archive (.tgz, .tar.gz) whose .tflite files are imported.
//
// Each model must parse (package loader). A catalog model, recognised by
// its shapes (models.Identify), is stored as <name>.tflite (or under its
// part's name), whatever the file was called. A model that is not one of the
// release's is stored under its own base name, and Known is false (the
// catalog never lists it, but it can be used by path); one whose name is a
// catalog file's is refused, so that it never passes for that model. The
// SHA-256 of each stored file goes into the manifest.
func (f Folder) ImportFile(path string, opts ImportOptions) ([]Imported, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if isArchiveName(path) {
		file, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		defer file.Close()
		models, err := extractTFLite(file, "")
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
		var out []Imported
		for _, m := range models {
			im, err := f.importBytes(m.data, m.name, "import:"+abs+"!"+m.path, opts)
			if err != nil {
				return out, fmt.Errorf("%s: %s: %w", path, m.path, err)
			}
			out = append(out, im)
		}
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	im, err := f.importBytes(data, filepath.Base(path), "import:"+abs, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return []Imported{im}, nil
}

// isArchiveName reports whether a path names a gzipped tar archive.
func isArchiveName(path string) bool {
	return strings.HasSuffix(path, ".tgz") || strings.HasSuffix(path, ".tar.gz")
}

// importBytes stores one model (base name name) from source.
func (f Folder) importBytes(data []byte, name, source string, opts ImportOptions) (Imported, error) {
	m, err := loader.Parse(data)
	if err != nil {
		return Imported{}, err
	}
	match, known := models.Identify(m)
	if match.Synthetic && !opts.AllowSynthetic {
		return Imported{}, fmt.Errorf("a synthetic model (random weights, written by 'mobilenet models synth'), not the release's; import it anyway with -synthetic")
	}
	file := match.File()
	if !known {
		file = strings.TrimSuffix(name, ".tflite") + ".tflite"
		if isCatalogFile(file) {
			return Imported{}, fmt.Errorf("named like the catalog's %s but it is not that model (its layers' shapes differ); rename it to import it", file)
		}
	}
	rec := Record{File: file, SHA256: sha256Hex(data), Size: int64(len(data)), Source: source, Synthetic: match.Synthetic}
	if known {
		rec.Model = match.Entry.Name
		if match.Part != models.Whole {
			rec.Part = match.Part.String()
		}
	}
	unchanged, err := f.store(data, rec, opts.Force)
	if err != nil {
		return Imported{}, err
	}
	return Imported{Record: rec, Match: match, Known: known, Unchanged: unchanged}, nil
}

// isCatalogFile reports whether file is the name of a catalog model or of
// one of its parts in a folder.
func isCatalogFile(file string) bool {
	for _, e := range models.Catalog {
		for _, p := range []models.Part{models.Whole, models.Extractor, models.Head} {
			if (models.Match{Entry: e, Part: p}).File() == file {
				return true
			}
		}
	}
	return false
}

// ErrExists is wrapped by the error for a file of the folder that would be
// replaced by different contents without force.
var ErrExists = errors.New("already in the models folder with different contents")

// store writes data as rec.File and records it in the manifest. It reports
// unchanged when the folder already held the same bytes (the record is
// refreshed, keeping its first Added time).
func (f Folder) store(data []byte, rec Record, force bool) (unchanged bool, err error) {
	path := filepath.Join(f.Dir, rec.File)
	man, err := f.ReadManifest()
	if err != nil {
		return false, err
	}
	rec.Added = time.Now().UTC().Truncate(time.Second)
	if old, err := os.ReadFile(path); err == nil {
		if sha256Hex(old) == rec.SHA256 {
			if r, ok := man.Record(rec.File); ok && !r.Added.IsZero() {
				rec.Added = r.Added
			}
			unchanged = true
		} else if !force {
			return false, fmt.Errorf("%s %w (sha256 %s); use -force to replace it", path, ErrExists, sha256Hex(old)[:12])
		}
	}
	if !unchanged {
		if err := writeAtomic(path, data); err != nil {
			return false, err
		}
	}
	man.put(rec)
	return unchanged, f.writeManifest(man)
}

// sha256Hex is the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// writeAtomic writes data to path atomically, making its folder first.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
