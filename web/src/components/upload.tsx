/**
 * Where cutouts come in: drop them, pick them, or try a shipped simulated lens; and which model set
 * scores them (auto: the API routes each by its file header's pixel scale and PSF).
 */
import { useEffect, useRef, useState } from 'preact/hooks';

interface Example {
  file: string;
  class: string;
  format: string;
  title: string;
}

interface Props {
  onFiles: (files: File[]) => void;
  busy: boolean;
  /** The set chooser's options (auto first) and value; empty while the models load. */
  sets: { value: string; label: string }[];
  survey: string;
  onSurvey: (survey: string) => void;
}

const EXAMPLES = `${import.meta.env.BASE_URL}examples/`;

async function fetchFile(name: string): Promise<File> {
  const res = await fetch(`${EXAMPLES}${name}`);
  if (!res.ok) throw new Error(`example ${name}: ${res.status}`);
  return new File([await res.blob()], name);
}

export function Upload({ onFiles, busy, sets, survey, onSurvey }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [examples, setExamples] = useState<Example[]>([]);

  useEffect(() => {
    fetch(`${EXAMPLES}manifest.json`)
      .then((r) => (r.ok ? (r.json() as Promise<{ examples: Example[] }>) : { examples: [] }))
      .then((m) => setExamples(m.examples))
      .catch(() => setExamples([]));
  }, []);

  const classes = [...new Set(examples.map((e) => e.class))];
  const tryExamples = (list: Example[]) => {
    void Promise.all(list.map((e) => fetchFile(e.file))).then(onFiles);
  };

  return (
    <section class="upload" aria-label="Cutouts to score">
      <div
        class={`drop${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const files = [...(e.dataTransfer?.files ?? [])];
          if (files.length > 0) onFiles(files);
        }}
      >
        <p>
          <strong>Drop cutouts here</strong> — FITS (also .fits.gz), NPY, PNG or JPEG; one file, many, an NPY stack or a tar archive.
        </p>
        <button type="button" class="primary" disabled={busy} onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          id="file-input"
          type="file"
          multiple
          hidden
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length > 0) onFiles(files);
          }}
        />
      </div>
      {sets.length > 0 && (
        <label class="set-choice">
          <span>Survey / model set</span>
          <select
            data-testid="set-choice"
            title="Which model set scores the cutouts: auto routes each by its FITS header's pixel scale and PSF (else the default set)"
            value={survey}
            onChange={(e) => onSurvey(e.currentTarget.value)}
          >
            {sets.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {examples.length > 0 && (
        <div class="examples">
          <span>Try an example (simulated, model-a):</span>
          {classes.map((c) => (
            <span class="example-group" key={c}>
              {examples
                .filter((e) => e.class === c)
                .map((e) => (
                  <button type="button" key={e.file} disabled={busy} data-example={e.file} onClick={() => tryExamples([e])}>
                    {e.title} <span class="muted">{e.format.toUpperCase()}</span>
                  </button>
                ))}
            </span>
          ))}
          <button type="button" disabled={busy} onClick={() => tryExamples(examples)}>
            all {examples.length} as a batch
          </button>
        </div>
      )}
    </section>
  );
}
