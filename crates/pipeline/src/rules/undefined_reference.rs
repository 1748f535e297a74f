use chainproof_core::{Finding, Span};

use super::{Cx, Rule, declare_rule};
use crate::expr::{Site, context_refs, expression_sites};
use crate::github::{Action, Job, Step, Workflow};
use crate::gitlab::{Pipeline, ProblemKind, parallel_instance_of};
use crate::suggest::suggestion;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds references to things that do not exist.
    ///
    /// GitHub: `steps.<id>` in a job (or composite action) where no *earlier* step has that id
    /// (a later step has "not run yet"), `needs.<job>` in a job that does not list that job in
    /// its `needs:` (the `needs` context only holds direct dependencies), `needs.<job>.outputs.<x>`
    /// and `jobs.<job>.outputs.<x>` (reusable-workflow outputs) naming a job or output that is not
    /// declared.
    ///
    /// GitLab: everything the pipeline model could not resolve (a missing `include: local` file,
    /// an `extends` target that is not defined, `extends` cycles, a `!reference` that names
    /// nothing), `dependencies:` naming jobs that do not exist, and `stage:` values not listed in
    /// `stages:` (the default stages are `.pre`, `build`, `test`, `deploy` and `.post`; a job
    /// without `stage:` is in `test`). Names that may come from includes chainproof cannot read
    /// (`project`, `remote`, `template`, `component`) are not reported, and CI/CD component
    /// templates are not checked for stages and dependencies (they belong to the including
    /// pipeline).
    ///
    /// ## Why is this bad
    /// A reference to a missing step or job evaluates to an empty string on GitHub, so conditions
    /// and inputs silently take the wrong value (a release gated on
    /// `steps.check.outputs.ok == 'true'` never runs, or a check is silently skipped); GitLab
    /// rejects the whole pipeline when a reference cannot be resolved.
    ///
    /// ## Example
    /// ```yaml
    /// jobs:
    ///   build:
    ///     outputs:
    ///       version: ${{ steps.meta.outputs.version }}
    ///     steps:
    ///       - run: echo "${{ steps.meta.outputs.version }}"
    ///       - id: meta
    ///         run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
    ///   deploy:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - run: ./deploy "${{ needs.build.outputs.version }}"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     steps:
    ///       - id: meta
    ///         run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
    ///       - run: echo "${{ steps.meta.outputs.version }}"
    ///   deploy:
    ///     needs: build
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/accessing-contextual-information-about-workflow-runs#steps-context
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/accessing-contextual-information-about-workflow-runs#needs-context
    /// - https://docs.gitlab.com/ci/yaml/#stages
    /// - https://docs.gitlab.com/ci/yaml/#dependencies
    UndefinedReference {
        id: "undefined-reference",
        title: "reference to something that does not exist",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// The byte offset in `site.text` of the reference `prefix.name` (matched case-insensitively,
/// also as `prefix['name']`), searched inside the expression.
fn ref_offset(site: &Site<'_>, prefix: &str, name: &str) -> Option<(usize, usize)> {
    let inner = &site.text[site.inner.0..site.inner.1];
    let lower = inner.to_ascii_lowercase();
    let dotted = format!("{prefix}.{}", name.to_ascii_lowercase());
    let bracketed = format!("{prefix}['{}']", name.to_ascii_lowercase());
    for needle in [dotted, bracketed] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(&needle) {
            let at = from + i;
            let before_ok = at == 0
                || !lower.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && !matches!(lower.as_bytes()[at - 1], b'_' | b'.' | b'-');
            let after = lower.as_bytes().get(at + needle.len());
            let after_ok =
                after.is_none_or(|c| !c.is_ascii_alphanumeric() && !matches!(c, b'_' | b'-'));
            if before_ok && after_ok {
                return Some((site.inner.0 + at, needle.len()));
            }
            from = at + needle.len();
        }
    }
    None
}

fn ref_span(cx: &Cx<'_, '_>, site: &Site<'_>, prefix: &str, name: &str) -> Span {
    match ref_offset(site, prefix, name) {
        Some((at, len)) => site.span(cx, at, len),
        None => site.span(cx, site.raw.0, site.raw.1 - site.raw.0),
    }
}

/// The references `ctx.<name>[.<rest>...]` in one expression, as (name, following segments).
fn refs_of(site: &Site<'_>, ctx: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in context_refs(site.inner_text()) {
        let mut parts = r.split('.');
        if parts.next() != Some(ctx) {
            continue;
        }
        let Some(name) = parts.next() else { continue };
        if name == "*" || name.is_empty() {
            continue;
        }
        let rest: Vec<String> = parts.map(str::to_owned).collect();
        let item = (name.to_owned(), rest);
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Check `steps.<id>` references in `steps[index]` against the steps before it.
fn check_step_refs(
    cx: &Cx<'_, '_>,
    steps: &[Step<'_>],
    index: usize,
    owner: &str,
    out: &mut Vec<Finding>,
) {
    let step = &steps[index];
    for site in expression_sites(step.node) {
        for (id, _) in refs_of(&site, "steps") {
            let pos = steps
                .iter()
                .position(|s| s.id().is_some_and(|i| eq(i, &id)));
            let span = ref_span(cx, &site, "steps", &id);
            let message = match pos {
                Some(p) if p < index => continue,
                Some(p) if p == index => format!(
                    "{} refers to its own result (`steps.{id}`), which does not exist until the step has finished",
                    step.label()
                ),
                Some(p) => format!(
                    "`steps.{id}` is used in {} of {owner}, but the step with `id: {id}` is step {}, which has not run yet; move it earlier",
                    step.label(),
                    p + 1
                ),
                None => {
                    let ids = steps[..index].iter().filter_map(Step::id);
                    let hint = suggestion(&id, ids);
                    format!(
                        "`steps.{id}` is used in {} of {owner}, but no step has `id: {id}`{hint}",
                        step.label()
                    )
                }
            };
            out.push(cx.finding(
                &UndefinedReference::INFO,
                span,
                "no earlier step has this id",
                message,
            ));
        }
    }
}

/// Check `steps.<id>` in outputs (any step of the job or action counts).
fn check_output_step_refs(
    cx: &Cx<'_, '_>,
    outputs: Option<&Node>,
    steps: &[Step<'_>],
    owner: &str,
    out: &mut Vec<Finding>,
) {
    let Some(outputs) = outputs else { return };
    for site in expression_sites(outputs) {
        for (id, _) in refs_of(&site, "steps") {
            if steps.iter().any(|s| s.id().is_some_and(|i| eq(i, &id))) {
                continue;
            }
            let hint = suggestion(&id, steps.iter().filter_map(Step::id));
            out.push(cx.finding(
                &UndefinedReference::INFO,
                ref_span(cx, &site, "steps", &id),
                "no step has this id",
                format!("an output of {owner} uses `steps.{id}`, but no step has `id: {id}`{hint}"),
            ));
        }
    }
}

/// Why `jobs.<name>.outputs.<output>` (or `needs.`) cannot resolve, if it cannot.
fn output_problem(wf: &Workflow<'_>, name: &str, rest: &[String]) -> Option<String> {
    let job = wf.jobs.iter().find(|j| eq(j.id, name))?;
    if rest.first().map(String::as_str) != Some("outputs") || job.uses().is_some() {
        return None;
    }
    let output = rest.get(1)?;
    if output == "*" {
        return None;
    }
    match job.node.get("outputs") {
        Some(o)
            if o.entries()
                .iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| eq(k, output))) =>
        {
            None
        }
        Some(o) => {
            let names = o.entries().iter().filter_map(|(k, _)| k.as_str());
            let hint = suggestion(output, names);
            Some(format!(
                "job `{}` declares no output `{output}`{hint}",
                job.id
            ))
        }
        None => Some(format!(
            "job `{}` declares no `outputs:`, so `outputs.{output}` is always empty",
            job.id
        )),
    }
}

fn needs_of<'a>(job: &Job<'a>) -> Vec<&'a str> {
    job.node
        .get("needs")
        .map(|n| n.scalars().into_iter().filter_map(Node::as_str).collect())
        .unwrap_or_default()
}

impl UndefinedReference {
    fn github(cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        for job in &wf.jobs {
            let owner = format!("job `{}`", job.id);
            for i in 0..job.steps.len() {
                check_step_refs(cx, &job.steps, i, &owner, out);
            }
            if job.uses().is_none() {
                check_output_step_refs(cx, job.node.get("outputs"), &job.steps, &owner, out);
            }
            let needs = needs_of(job);
            for site in expression_sites(job.node) {
                for (name, rest) in refs_of(&site, "needs") {
                    let span = ref_span(cx, &site, "needs", &name);
                    let message = if !needs.iter().any(|n| eq(n, &name)) {
                        if wf.jobs.iter().any(|j| eq(j.id, &name)) {
                            format!(
                                "job `{}` uses `needs.{name}`, but does not list `{name}` in `needs:`; the `needs` context only holds direct dependencies, so add `{name}` to `needs:`",
                                job.id
                            )
                        } else {
                            let hint = suggestion(&name, needs.iter().copied());
                            format!(
                                "job `{}` uses `needs.{name}`, but there is no job `{name}` in this workflow{hint}",
                                job.id
                            )
                        }
                    } else if let Some(problem) = output_problem(wf, &name, &rest) {
                        let full = format!("{name}.{}", rest.join("."));
                        let span = ref_span(cx, &site, "needs", &full);
                        out.push(cx.finding(
                            &Self::INFO,
                            span,
                            "no such output",
                            format!(
                                "`needs.{full}` in job `{}` is always empty: {problem}",
                                job.id
                            ),
                        ));
                        continue;
                    } else {
                        continue;
                    };
                    out.push(cx.finding(
                        &Self::INFO,
                        span,
                        "not a dependency of this job",
                        message,
                    ));
                }
            }
        }
        // Outputs of a reusable workflow map job outputs.
        if let Some(outputs) = wf
            .trigger("workflow_call")
            .and_then(|t| t.config)
            .and_then(|c| c.get("outputs"))
        {
            for site in expression_sites(outputs) {
                for (name, rest) in refs_of(&site, "jobs") {
                    let mut span = ref_span(cx, &site, "jobs", &name);
                    let message = if !wf.jobs.iter().any(|j| eq(j.id, &name)) {
                        let hint = suggestion(&name, wf.jobs.iter().map(|j| j.id));
                        format!(
                            "the `workflow_call` outputs use `jobs.{name}`, but there is no job `{name}` in this workflow{hint}"
                        )
                    } else if let Some(problem) = output_problem(wf, &name, &rest) {
                        let full = format!("{name}.{}", rest.join("."));
                        span = ref_span(cx, &site, "jobs", &full);
                        format!(
                            "the `workflow_call` output `jobs.{full}` is always empty: {problem}"
                        )
                    } else {
                        continue;
                    };
                    out.push(cx.finding(&Self::INFO, span, "no such job output", message));
                }
            }
        }
    }

    fn gitlab(cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let external = pipeline.has_external_includes();
        let all_names: Vec<&str> = pipeline.jobs.iter().map(|j| j.name.as_str()).collect();
        // `Pipeline::build` reports each problem once.
        for p in &pipeline.problems {
            if external && p.kind.is_missing_definition() {
                continue;
            }
            let mut message = p.message.replace(
                "No such file or directory (os error 2)",
                "no such file in the repository",
            );
            if let ProblemKind::UnknownExtends { target } = &p.kind {
                let target = target.as_str();
                message.push_str(&suggestion(
                    target,
                    all_names.iter().copied().filter(|n| *n != target),
                ));
            }
            out.push(cx.finding(&Self::INFO, p.span, "cannot be resolved", message));
        }
        // Stages and jobs may be defined in a file that could not be read.
        let unreadable = pipeline
            .problems
            .iter()
            .any(|p| p.kind.is_unreadable_include());
        if external || unreadable || pipeline.is_component() {
            return;
        }
        let visible: Vec<&str> = pipeline
            .jobs
            .iter()
            .filter(|j| !j.hidden)
            .map(|j| j.name.as_str())
            .collect();
        let mut reported: Vec<Span> = Vec::new();
        // `dependencies:`
        for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
            for dep in job
                .node
                .get("dependencies")
                .map(Node::items)
                .unwrap_or_default()
            {
                let Some(name) = dep.as_str() else { continue };
                let known = visible.contains(&name)
                    || parallel_instance_of(name).is_some_and(|base| visible.contains(&base));
                if known || name.contains('$') || reported.contains(&dep.span) {
                    continue;
                }
                reported.push(dep.span);
                let hint = suggestion(name, visible.iter().copied().filter(|n| *n != job.name));
                out.push(cx.finding(
                    &Self::INFO,
                    dep.span,
                    "no such job",
                    format!(
                        "job `{}` lists `{name}` in `dependencies:`, but no job `{name}` runs in this pipeline{hint}",
                        job.name
                    ),
                ));
            }
        }
        // `stage:`
        let declared = pipeline
            .config
            .get("stages")
            .or_else(|| pipeline.config.get("types"));
        let mut stages: Vec<&str> = vec![".pre", ".post"];
        match declared {
            Some(s) => {
                for item in s.items() {
                    if let Some(v) = item.as_str() {
                        stages.push(v);
                    }
                    stages.extend(item.items().iter().filter_map(Node::as_str));
                }
            }
            None => stages.extend(["build", "test", "deploy"]),
        }
        let why = if declared.is_some() {
            "is not listed in `stages:`"
        } else {
            "is not a default stage (.pre, build, test, deploy, .post), and there is no `stages:`"
        };
        for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
            match job.node.entry("stage") {
                Some((_, v)) => {
                    let Some(stage) = v.as_str() else { continue };
                    if stages.contains(&stage) || stage.contains('$') || reported.contains(&v.span)
                    {
                        continue;
                    }
                    reported.push(v.span);
                    let known = stages.iter().copied().filter(|s| !s.starts_with('.'));
                    let hint = suggestion(stage, known);
                    out.push(cx.finding(
                        &Self::INFO,
                        v.span,
                        "unknown stage",
                        format!(
                            "job `{}` is in stage `{stage}`, which {}{hint}",
                            job.name, why
                        ),
                    ));
                }
                None => {
                    if stages.contains(&"test") {
                        continue;
                    }
                    out.push(
                        cx.finding(
                            &Self::INFO,
                            job.key.span,
                            "no `stage:`, so in `test`",
                            format!(
                                "job `{}` has no `stage:`, so it is in `test`, which is not listed in `stages:`; give it a `stage:` or add `test` to `stages:`",
                                job.name
                            ),
                        )
                        .related(cx.loc(
                            declared.map_or(job.key.span, |d| d.span),
                            "`stages:` without `test`",
                        )),
                    );
                }
            }
        }
    }
}

impl Rule for UndefinedReference {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        Self::github(cx, wf, out);
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        let owner = "this action".to_owned();
        for i in 0..action.steps.len() {
            check_step_refs(cx, &action.steps, i, &owner, out);
        }
        if let Some(outputs) = action.root.get("outputs") {
            check_output_step_refs(cx, Some(outputs), &action.steps, &owner, out);
        }
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        Self::gitlab(cx, pipeline, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn reference_offsets() {
        let docs = parse(
            "a: ${{ steps.Build-x.outputs.y && steps['meta'].outputs.z }}\n",
            0,
        )
        .unwrap_or_default();
        let node = docs[0].get("a").unwrap_or(&docs[0]);
        let sites = expression_sites(node);
        assert_eq!(sites.len(), 1);
        let s = &sites[0];
        let (at, len) = ref_offset(s, "steps", "build-x").unwrap_or_default();
        assert_eq!(&s.text[at..at + len], "steps.Build-x");
        let (at, len) = ref_offset(s, "steps", "meta").unwrap_or_default();
        assert_eq!(&s.text[at..at + len], "steps['meta']");
        assert_eq!(ref_offset(s, "steps", "build"), None);
        assert_eq!(
            refs_of(s, "steps"),
            vec![
                (
                    "build-x".to_owned(),
                    vec!["outputs".to_owned(), "y".to_owned()]
                ),
                (
                    "meta".to_owned(),
                    vec!["outputs".to_owned(), "z".to_owned()]
                ),
            ]
        );
    }
}
