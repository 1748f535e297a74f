use chainproof_core::{Finding, Span};

use super::{Cx, Rule, declare_rule};
use crate::github::Workflow;
use crate::gitlab::{Pipeline, parallel_instance_of};
use crate::suggest::suggestion;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Checks job dependencies (`needs:`) in GitHub workflows and GitLab pipelines: a job that
    /// needs a job that does not exist (GitLab: that is not defined, or is a hidden template), a
    /// job that needs itself, and dependency cycles (reported once per cycle, at one of its edges,
    /// with the whole cycle in the message).
    ///
    /// GitLab `needs: [{job: x, optional: true}]` may name a job that is absent, and
    /// `needs:pipeline` / `needs:project` name jobs of other pipelines: both are skipped. When a
    /// GitLab pipeline includes files chainproof cannot read (`include: project`, `remote`,
    /// `template`, `component`), unknown names are not reported, since the job may come from
    /// there; CI/CD component templates are not checked for unknown names either (their jobs
    /// usually need jobs of the pipeline that includes them).
    ///
    /// ## Why is this bad
    /// GitHub refuses to start a workflow whose dependency graph is invalid, and GitLab refuses
    /// to create the pipeline: the mistake surfaces only after the change is merged, often in a
    /// release or deploy path that runs rarely.
    ///
    /// ## Example
    /// ```yaml
    /// jobs:
    ///   build:
    ///     needs: test
    ///   test:
    ///     needs: build
    ///   deploy:
    ///     needs: [biuld]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// jobs:
    ///   build: {}
    ///   test:
    ///     needs: build
    ///   deploy:
    ///     needs: [build, test]
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idneeds
    /// - https://docs.gitlab.com/ci/yaml/#needs
    InvalidNeeds {
        id: "invalid-needs",
        title: "job dependency that cannot be satisfied",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// One dependency edge: `from` needs `to`, written at `span`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub from: usize,
    pub to: usize,
    pub span: Span,
}

/// Every elementary cycle found by a depth-first search, each reported once (by its node set),
/// with the edge that closed it. Cycles are listed starting at their smallest node index.
pub(crate) fn find_cycles(n: usize, edges: &[Edge]) -> Vec<(Vec<usize>, Span)> {
    let mut adj: Vec<Vec<&Edge>> = vec![Vec::new(); n];
    for e in edges {
        if e.from != e.to && e.from < n && e.to < n {
            adj[e.from].push(e);
        }
    }
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut found: Vec<(Vec<usize>, Span)> = Vec::new();
    let mut seen_sets: Vec<Vec<usize>> = Vec::new();
    fn dfs(
        u: usize,
        adj: &[Vec<&Edge>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        found: &mut Vec<(Vec<usize>, Span)>,
        seen_sets: &mut Vec<Vec<usize>>,
    ) {
        state[u] = 1;
        stack.push(u);
        for e in &adj[u] {
            match state[e.to] {
                0 => dfs(e.to, adj, state, stack, found, seen_sets),
                1 => {
                    let Some(pos) = stack.iter().position(|&x| x == e.to) else {
                        continue;
                    };
                    let cycle: Vec<usize> = stack[pos..].to_vec();
                    let mut set = cycle.clone();
                    set.sort_unstable();
                    if !seen_sets.contains(&set) {
                        seen_sets.push(set);
                        found.push((cycle, e.span));
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state[u] = 2;
    }
    for u in 0..n {
        if state[u] == 0 {
            dfs(u, &adj, &mut state, &mut stack, &mut found, &mut seen_sets);
        }
    }
    found
}

fn cycle_text(names: &[&str], cycle: &[usize]) -> String {
    let mut parts: Vec<String> = cycle.iter().map(|&i| format!("`{}`", names[i])).collect();
    if let Some(first) = parts.first().cloned() {
        parts.push(first);
    }
    parts.join(" -> ")
}

fn report_cycles(cx: &Cx<'_, '_>, names: &[&str], edges: &[Edge], out: &mut Vec<Finding>) {
    for (cycle, span) in find_cycles(names.len(), edges) {
        out.push(cx.finding(
            &InvalidNeeds::INFO,
            span,
            "closes a dependency cycle",
            format!(
                "dependency cycle (each job needs the next): {}; none of these jobs can ever start",
                cycle_text(names, &cycle)
            ),
        ));
    }
}

impl InvalidNeeds {
    fn github(cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let names: Vec<&str> = wf.jobs.iter().map(|j| j.id).collect();
        let index = |n: &str| names.iter().position(|x| x.eq_ignore_ascii_case(n));
        let mut edges = Vec::new();
        for (i, job) in wf.jobs.iter().enumerate() {
            let Some(needs) = job.node.get("needs") else {
                continue;
            };
            for need in needs.scalars() {
                let Some(name) = need.as_str() else { continue };
                if name.contains("${{") {
                    continue;
                }
                match index(name) {
                    Some(j) if j == i => out.push(cx.finding(
                        &Self::INFO,
                        need.span,
                        "the job needs itself",
                        format!(
                            "job `{}` lists itself in `needs:`, so it can never start",
                            job.id
                        ),
                    )),
                    Some(j) => edges.push(Edge {
                        from: i,
                        to: j,
                        span: need.span,
                    }),
                    None => {
                        let others = names.iter().copied().filter(|n| *n != job.id);
                        let hint = suggestion(name, others);
                        out.push(cx.finding(
                            &Self::INFO,
                            need.span,
                            "no such job",
                            format!(
                                "job `{}` needs `{name}`, which is not a job in this workflow{hint}",
                                job.id
                            ),
                        ));
                    }
                }
            }
        }
        report_cycles(cx, &names, &edges, out);
    }
}

/// The job a GitLab `needs:` item names (`None` for cross-pipeline needs).
fn gitlab_need(item: &Node) -> Option<(&Node, bool)> {
    if let Some(s) = item.as_str() {
        return (!s.is_empty()).then_some((item, false));
    }
    if item.get("pipeline").is_some() || item.get("project").is_some() {
        return None;
    }
    let job = item.get("job")?;
    job.as_str()?;
    let optional = item.get("optional").and_then(Node::as_bool) == Some(true);
    Some((job, optional))
}

impl Rule for InvalidNeeds {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        Self::github(cx, wf, out);
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let jobs: Vec<_> = pipeline.jobs.iter().filter(|j| !j.hidden).collect();
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        let check_unknown = !pipeline.has_external_includes() && !pipeline.is_component();
        let mut edges = Vec::new();
        let mut reported: Vec<Span> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            let Some(needs) = job.node.get("needs") else {
                continue;
            };
            for item in needs.items() {
                let Some((need, optional)) = gitlab_need(item) else {
                    continue;
                };
                let Some(name) = need.as_str() else { continue };
                if name.contains("$[[") || name.contains('$') {
                    continue;
                }
                let target = names.iter().position(|n| *n == name).or_else(|| {
                    parallel_instance_of(name)
                        .and_then(|base| names.iter().position(|n| *n == base))
                });
                match target {
                    Some(j) if j == i => {
                        if !reported.contains(&need.span) {
                            reported.push(need.span);
                            out.push(cx.finding(
                                &Self::INFO,
                                need.span,
                                "the job needs itself",
                                format!(
                                    "job `{}` lists itself in `needs:`, so GitLab rejects the pipeline",
                                    job.name
                                ),
                            ));
                        }
                    }
                    Some(j) => edges.push(Edge {
                        from: i,
                        to: j,
                        span: need.span,
                    }),
                    None if optional || !check_unknown || reported.contains(&need.span) => {}
                    None => {
                        reported.push(need.span);
                        let hidden = pipeline.jobs.iter().any(|j| j.hidden && j.name == name);
                        let message = if hidden {
                            format!(
                                "job `{}` needs `{name}`, a hidden job (a template that never runs); need a job that extends it, or mark the need `optional: true`",
                                job.name
                            )
                        } else {
                            let others = names.iter().copied().filter(|n| *n != job.name);
                            let hint = suggestion(name, others);
                            format!(
                                "job `{}` needs `{name}`, which is not defined in this pipeline{hint}",
                                job.name
                            )
                        };
                        out.push(cx.finding(&Self::INFO, need.span, "no such job", message));
                    }
                }
            }
        }
        report_cycles(cx, &names, &edges, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: usize, to: usize) -> Edge {
        Edge {
            from,
            to,
            span: Span::new(0, from, to),
        }
    }

    #[test]
    fn cycles_are_found_once() {
        // 0 -> 1 -> 2 -> 0, and 3 -> 3 (self edges are ignored here), 4 -> 1.
        let edges = [e(0, 1), e(1, 2), e(2, 0), e(3, 3), e(4, 1)];
        let c = find_cycles(5, &edges);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].0, vec![0, 1, 2]);
        // Two distinct cycles sharing a node.
        let edges = [e(0, 1), e(1, 0), e(1, 2), e(2, 1)];
        assert_eq!(find_cycles(3, &edges).len(), 2);
        // A DAG.
        let edges = [e(0, 1), e(0, 2), e(1, 2)];
        assert!(find_cycles(3, &edges).is_empty());
    }
}
