package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/plan"
)

// annFormat prints annotations one per line, for golden files.
func annFormat(anns []Annotation) string {
	var b strings.Builder
	for _, a := range anns {
		fmt.Fprintf(&b, "%s %s:%d:%d [%s] %s\n", a.Level, a.File, a.Line, a.Column, a.Title, a.Message)
	}
	return b.String()
}

func TestAnnotationsGolden(t *testing.T) {
	t.Parallel()
	tests := map[string]*plan.Plan{
		"in-sync.txt":  fxInSync(),
		"drift.txt":    fxDrift(),
		"blockers.txt": fxBlockers(),
		"huge.txt":     fxHuge(),
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			anns := Annotations(p, "infra/sseguard.yaml")
			if len(anns) > MaxAnnotations {
				t.Errorf("%d annotations, want at most %d", len(anns), MaxAnnotations)
			}
			mdGolden(t, "annotations", name, annFormat(anns))
		})
	}
}

func TestApplyAnnotationsGolden(t *testing.T) {
	t.Parallel()
	p, results := fxApplied()
	anns := ApplyAnnotations(p, results, "infra/sseguard.yaml")
	mdGolden(t, "annotations", "applied.txt", annFormat(anns))
	for _, a := range anns {
		if strings.Contains(a.Title, "media-source") {
			t.Errorf("a bucket whose changes all took is annotated: %+v", a)
		}
	}
	if len(anns) == 0 || anns[0].Level != LevelError || !strings.Contains(anns[0].Message, "AccessDenied") {
		t.Errorf("the failed change should be an error with its AWS error: %+v", anns)
	}
}

func TestAnnotationsOnePerBucket(t *testing.T) {
	t.Parallel()
	anns := Annotations(fxBlockers(), "sseguard.yaml")
	got := map[int]string{}
	for _, a := range anns {
		if a.File != "sseguard.yaml" {
			t.Errorf("annotation on %q, want sseguard.yaml", a.File)
		}
		if _, dup := got[a.Line]; dup && a.Level == LevelError {
			t.Errorf("two error annotations on line %d", a.Line)
		}
		if a.Level == LevelError {
			got[a.Line] = a.Title
		}
	}
	want := map[int]string{
		14: "sseguard: bucket media-hls differs from the policy",
		26: "sseguard: bucket media-source differs from the policy",
		44: "sseguard: bucket media-archive is blocked",
		52: "sseguard: bucket media-thumbs is blocked",
		60: "sseguard: bucket media-eu is blocked",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error annotations by line (-want +got):\n%s", diff)
	}
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	var anns []Annotation
	for i := range 25 {
		level := LevelWarning
		if i == 20 {
			level = LevelError
		}
		anns = append(anns, Annotation{Level: level, File: "p.yaml", Line: i + 1, Title: fmt.Sprintf("sseguard: n%d", i)})
	}
	got := Aggregate(anns, 10)
	if len(got) != 10 {
		t.Fatalf("got %d annotations, want 10", len(got))
	}
	last := got[9]
	if last.Level != LevelError || last.Line != 10 || last.Title != "sseguard: 16 more findings, listed in the job summary" {
		t.Errorf("aggregate = %+v", last)
	}
	if !strings.Contains(last.Message, "line 10: n9;") || !strings.Contains(last.Message, "line 25: n24.") {
		t.Errorf("aggregate message lacks the places: %s", last.Message)
	}
	if got := Aggregate(anns[:3], 10); len(got) != 3 {
		t.Errorf("a short list should stay as it is")
	}
	// However long the list of places, the pointer to the job summary is not what annClean cuts.
	var many []Annotation
	for i := range 400 {
		many = append(many, Annotation{Level: LevelError, File: "p.yaml", Line: i + 1,
			Title: fmt.Sprintf("sseguard: bucket tenant-%05d-media-with-a-long-name differs from the policy", i)})
	}
	agg := Aggregate(many, 10)[9]
	if !strings.HasPrefix(agg.Message, "GitHub limits annotations per step: the job summary lists these 391 findings") {
		t.Errorf("the aggregate does not start with where the findings are: %.200s", agg.Message)
	}
}

func TestAnnClean(t *testing.T) {
	t.Parallel()
	got := annClean("bucket x\n::error::forged\r\u2028")
	if strings.ContainsAny(got, "\n\r\u2028") {
		t.Errorf("annClean left a line break: %q", got)
	}
}
