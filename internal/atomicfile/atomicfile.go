// Package atomicfile writes whole files so that readers never see half of
// one: the data goes to a temporary file in the same folder, which is
// synced and then renamed over the destination. A failure at any step
// removes the temporary file and leaves the destination as it was.
//
// It is the one way the CLI writes models (train, quantize exports) and
// the models folder writes its manifest and imported files.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

var errNotRegular = errors.New("not a regular file: refusing to replace it")

// Write writes data to path atomically, with permissions 0644. The
// folder must exist: a missing folder is an error, never created, so that
// a mistyped output path fails instead of making folders. A path that is
// not a regular file (a device such as /dev/null, a folder) is refused:
// the rename would replace it.
func Write(path string, data []byte) (err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return &os.PathError{Op: "write", Path: path, Err: errNotRegular}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
