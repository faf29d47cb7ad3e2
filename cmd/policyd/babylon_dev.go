//go:build !release

package main

// The dev Babylon schedule (--dev): compiled into source-tree builds only,
// like the rest of the dev network.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bitlayer-org/policyd/babylon"
)

// devBabylonParamsFile is the dev schedule's file in the dev directory.
const devBabylonParamsFile = "babylon-params.json"

// writeDevBabylonParams writes babylon.DevSchedule (test covenant keys from
// public seeds: development only) to dir and returns its path.
func writeDevBabylonParams(dir string) (string, error) {
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	raw, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, devBabylonParamsFile)
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("dev babylon parameters: %w", err)
	}
	return path, nil
}
