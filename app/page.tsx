import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentIdentity } from '@/lib/server/access';
import { demoShowcase } from '@/lib/server/demo';
import { SortedCurves } from '@/app/_components/charts/SortedCurves';
import { ruleShort } from '@/app/_components/analysis/measures';

/** The landing page: what the portal is for, and a real result from the public demo lab. */
export default async function Home() {
  if (await currentIdentity()) redirect('/labs');
  const demo = await demoShowcase();
  return (
    <div className="landing">
      <h1>PCACE Lab</h1>
      <p className="landing-lead">
        Which channels of a convolutional network carry a class? PCACE Lab ranks every channel of every layer by how much of the class score its
        activation maps explain, says which channels beat noise (calibrated against permutation nulls), and shows what each channel responds to:
        top-activating images, activation maps, Grad-CAM and activation maximisation.
      </p>
      <ul className="landing-points">
        <li>Upload an ONNX or TF.js model and a dataset (built-in MNIST, a zip of class folders, a CSV for regression), or start from the demo lab.</li>
        <li>Workers rank the channels layer by layer; results carry p- and q-values, effects with intervals and rank confidence sets.</li>
        <li>Compare architectures, classes, runs and methods; discuss and pin channels with your lab; script it all with the API and the pcace command.</li>
      </ul>
      <div className="row">
        <Link className="button" href="/signup">
          Create an account — the demo lab is open at once
        </Link>
        <Link className="button secondary" href="/signin">
          Sign in
        </Link>
      </div>
      {demo ? (
        <section aria-labelledby="landing-demo-h" className="landing-demo">
          <h2 id="landing-demo-h">A real result: {demo.title}</h2>
          <p className="small muted">
            {demo.subject}.{' '}
            {demo.beatNoise === null
              ? 'This analysis ran without a null, so it makes no beats-noise claim.'
              : `${demo.beatNoise} of ${demo.withVerdict} channels beat noise.`}{' '}
            Sign up to open any channel of it.
          </p>
          <SortedCurves
            title={`Channels ranked by ${demo.statistic}, each layer`}
            filename="demo-sorted-scores"
            series={demo.layers.map((l) => ({ key: l.name, label: l.name, points: l.channels.map((c) => ({ id: c.index, value: c.value, verdict: c.verdict })) }))}
            yLabel={demo.statistic}
            xLabel="Channel rank, normalised (0 = best, 1 = worst)"
            verdictLegend={demo.rule ? { beats: 'beats noise', not: '≈ noise', rule: ruleShort(demo.rule), title: demo.rule.text } : undefined}
            caption={demo.rule ? `Each layer's channels sorted best first. Filled points beat noise, hollow ones do not (${demo.rule.text}).` : "Each layer's channels sorted best first."}
          />
        </section>
      ) : null}
    </div>
  );
}
