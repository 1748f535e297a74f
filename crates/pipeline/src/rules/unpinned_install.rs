use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, Scope, declare_rule};
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::script::{
    Command, Line, Shell, Word, basename, commands, github_line, github_shell, gitlab_lines, parse,
};

declare_rule! {
    /// ## What it does
    /// Finds packages installed in CI scripts without a version pin or a lock file:
    /// `pip install pkg` (no `==`, `-r`/`-c` file or `--require-hashes`), `npm install -g pkg`,
    /// `npm install pkg`, `npx pkg` (when the job did not install the project's locked
    /// dependencies first), `pnpm dlx`, `yarn dlx`, `bunx`, `go install pkg@latest`,
    /// `cargo install crate` without `--version`, `gem install gem` without `-v`,
    /// `uv tool install`, `uvx`, `pipx install`/`pipx run` and `dotnet tool install` without a
    /// version. The finding points at the package. A version range or partial version
    /// (`'codecov>=2.0.15'`, `corepack@0.31`, `go install x@v1.2`) is reported at low severity: it
    /// keeps out other release series but still takes every new release in range without review.
    ///
    /// Installing the project itself (`pip install .`, `pip install -e .`, `npm ci`, `npm install`
    /// with no package, `go install ./cmd/x`, `cargo install --path .`) and the installers'
    /// own bootstrap (`pip install --upgrade pip setuptools wheel`) are not reported.
    ///
    /// ## Why is this bad
    /// Every run installs whatever was published last. A compromised maintainer account or a
    /// malicious release (the event-stream, ctx, ultralytics and `tj-actions` style attacks) lands
    /// in your pipeline the minute it is published, with your secrets in reach, and builds are not
    /// reproducible. Confidence is low because some tools are harmless to float; read the finding
    /// as "this dependency is not under review".
    ///
    /// ## Example
    /// ```yaml
    /// - run: pip install black
    /// - run: npm install -g @angular/cli
    /// - run: go install golang.org/x/vuln/cmd/govulncheck@latest
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - run: pip install black==24.4.2        # or: pip install -r requirements-ci.txt --require-hashes
    /// - run: npm install -g @angular/cli@18.0.3
    /// - run: go install golang.org/x/vuln/cmd/govulncheck@v1.1.3
    /// ```
    /// Tools updated by Dependabot or Renovate stay current while every change is reviewed.
    ///
    /// ## References
    /// - https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies
    /// - https://pip.pypa.io/en/stable/topics/secure-installs/
    /// - https://docs.npmjs.com/cli/commands/npm-ci
    UnpinnedInstall {
        id: "unpinned-install",
        title: "package installed without a version pin",
        severity: Medium,
        confidence: Low,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// Options of the package managers that take a value (so the value is not a package).
const PIP_VALUE_OPTS: [&str; 38] = [
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--index",
    "--default-index",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--trusted-host",
    "--cache-dir",
    "--src",
    "--progress-bar",
    "--only-binary",
    "--no-binary",
    "--upgrade-strategy",
    "-C",
    "--config-settings",
    "--global-option",
    "--log",
    "--timeout",
    "--retries",
    "--proxy",
    "--cert",
    "--python",
    "-p",
];

const NPM_VALUE_OPTS: [&str; 12] = [
    "--prefix",
    "--registry",
    "--tag",
    "-w",
    "--workspace",
    "--cache",
    "--omit",
    "--include",
    "--location",
    "--userconfig",
    "-C",
    "--dir",
];

const GO_VALUE_OPTS: [&str; 18] = [
    "-tags",
    "-ldflags",
    "-gcflags",
    "-asmflags",
    "-mod",
    "-modfile",
    "-o",
    "-p",
    "-buildmode",
    "-compiler",
    "-gccgoflags",
    "-installsuffix",
    "-pkgdir",
    "-toolexec",
    "-overlay",
    "-pgo",
    "-C",
    "-exec",
];

const CARGO_VALUE_OPTS: [&str; 19] = [
    "--version",
    "--vers",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--path",
    "--root",
    "--index",
    "--registry",
    "--features",
    "-F",
    "--target",
    "--target-dir",
    "--profile",
    "-j",
    "--jobs",
    "--bin",
    "--example",
];

const GEM_VALUE_OPTS: [&str; 12] = [
    "-v",
    "--version",
    "-i",
    "--install-dir",
    "-n",
    "--bindir",
    "--source",
    "-s",
    "-P",
    "--trust-policy",
    "--platform",
    "--file",
];

const TOOL_VALUE_OPTS: [&str; 12] = [
    "--python",
    "-p",
    "--with",
    "-w",
    "--from",
    "--spec",
    "--index-url",
    "--index",
    "--pip-args",
    "--python-preference",
    "--suffix",
    "--extra-index-url",
];

/// Positional arguments (not options or option values) of `args`.
fn positionals<'w, 'a>(args: &'w [Word<'a>], value_opts: &[&str]) -> Vec<&'w Word<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value();
        if v == "--" {
            out.extend(args[i + 1..].iter());
            break;
        }
        if v.starts_with('-') {
            i += if value_opts.contains(&v.as_str()) {
                2
            } else {
                1
            };
            continue;
        }
        out.push(&args[i]);
        i += 1;
    }
    out
}

/// The value of `--opt value` / `--opt=value`.
fn option<'w, 'a>(args: &'w [Word<'a>], names: &[&str]) -> Option<String> {
    for (i, a) in args.iter().enumerate() {
        let v = a.value();
        for n in names {
            if v == *n {
                return args.get(i + 1).map(Word::value);
            }
            if let Some(rest) = v.strip_prefix(&format!("{n}=")) {
                return Some(rest.to_owned());
            }
        }
    }
    None
}

fn has(args: &[Word<'_>], names: &[&str]) -> bool {
    args.iter().any(|a| {
        let v = a.value();
        names
            .iter()
            .any(|n| v == *n || v.starts_with(&format!("{n}=")))
    })
}

/// Not a package name: a path, URL, archive, variable or expression.
fn not_a_registry_package(v: &str) -> bool {
    v.starts_with(['.', '/', '~', '$'])
        || v.contains("://")
        || v.contains("${{")
        || v.starts_with("git+")
        || v.starts_with("file:")
        || v.starts_with("github:")
        || v.starts_with("link:")
        || v.starts_with("workspace:")
        || [".whl", ".tar.gz", ".tgz", ".zip", ".gem", ".txt"]
            .iter()
            .any(|e| v.ends_with(e))
        || v.is_empty()
}

fn exact_semver(v: &str) -> bool {
    let v = v.trim_start_matches(['v', '=']);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn pip_pinned(spec: &str) -> bool {
    let name: String = spec
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect::<String>()
        .to_ascii_lowercase();
    spec.contains("==")
        || spec.contains(" @ ")
        || spec.contains('@')
        || not_a_registry_package(spec)
        || matches!(name.as_str(), "pip" | "setuptools" | "wheel")
}

/// `name@1.2.3` or `@scope/name@1.2.3`.
fn npm_pinned(spec: &str) -> bool {
    if not_a_registry_package(spec) {
        return true;
    }
    if spec.contains('/') && !spec.starts_with('@') {
        // `user/repo` is a GitHub shorthand: pinned only with `#<commit>`.
        return spec.contains('#');
    }
    let rest = spec.strip_prefix('@').unwrap_or(spec);
    match rest.split_once('@') {
        // `pkg@$VERSION`: set elsewhere, cannot tell.
        Some((_, version)) => exact_semver(version) || version.starts_with('$'),
        None => false,
    }
}

fn go_pinned(spec: &str) -> bool {
    match spec.split_once('@') {
        None => true, // the local module's version (go.mod)
        Some((_, v)) => {
            exact_semver(v) && v.starts_with('v')
                || v.len() >= 12 && v.chars().all(|c| c.is_ascii_hexdigit())
                || v.starts_with('$') // `@${TOOL_VERSION}`: set elsewhere, cannot tell
        }
    }
}

/// The version range a package spec asks for, when it names one but not an exact version:
/// `>=2.0.15` for `codecov>=2.0.15`, `0.31` for `corepack@0.31`, `v1.2` for `go install x@v1.2`.
/// `None` for a bare name or a tag (`pkg@latest`, `x@main`), which take whatever is newest.
fn version_range(tool: &str, spec: &str) -> Option<String> {
    let spec = spec.trim();
    if tool.starts_with("pip") || tool.starts_with("uv") {
        // name[extras]<range>[; markers]
        let name_end = spec
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(spec.len());
        let mut rest = &spec[name_end..];
        if rest.starts_with('[') {
            rest = rest.find(']').map_or("", |i| &rest[i + 1..]);
        }
        let rest = rest.split(';').next().unwrap_or("").trim();
        return rest
            .starts_with(['<', '>', '~', '!', '='])
            .then(|| rest.to_owned());
    }
    let version = if tool.starts_with("go ") {
        spec.split_once('@')?.1
    } else {
        // npm-style: `@scope/name@range`.
        spec.strip_prefix('@').unwrap_or(spec).split_once('@')?.1
    };
    let version = version.trim();
    let is_tag = version
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && !(tool.starts_with("go ")
            && version.starts_with('v')
            && version[1..].starts_with(|c: char| c.is_ascii_digit()));
    (!version.is_empty() && !is_tag).then(|| version.to_owned())
}

/// Whether a version range stays within a series (`~=0.30`, `>=2,<3`, `^1.2`, `0.31`), as opposed
/// to only a lower bound (`>=2.0.15`, `>1`, `*`), which still takes every future release.
fn bounded(range: &str) -> bool {
    let r = range.trim();
    if r == "*" || r.eq_ignore_ascii_case("latest") || r.eq_ignore_ascii_case("x") {
        return false;
    }
    !(r.starts_with('>') || r.starts_with("!=")) || r.contains('<') || r.contains("~=")
}

/// What an install command leaves unpinned.
struct Unpinned<'w, 'a> {
    tool: String,
    packages: Vec<&'w Word<'a>>,
    note: &'static str,
}

/// Whether this command installs the project's locked dependencies (`npm ci`, `yarn install`...).
fn locked_js_install(c: &Command<'_>) -> bool {
    let argv = c.argv();
    let Some(prog) = argv.first().map(|w| basename(&w.value()).to_owned()) else {
        return false;
    };
    let sub = argv.get(1).map(Word::value).unwrap_or_default();
    let pkgs =
        |from: usize| positionals(argv.get(from..).unwrap_or(&[]), &NPM_VALUE_OPTS).is_empty();
    match prog.as_str() {
        "npm" => sub == "ci" || matches!(sub.as_str(), "install" | "i") && pkgs(2),
        "yarn" => argv.len() == 1 || sub == "install" || sub.starts_with('-'),
        "pnpm" | "bun" => matches!(sub.as_str(), "install" | "i") && pkgs(2),
        _ => false,
    }
}

fn unpinned<'w, 'a>(argv: &'w [Word<'a>], js_locked: bool) -> Option<Unpinned<'w, 'a>> {
    let prog = basename(&argv.first()?.value()).to_owned();
    let arg = |i: usize| argv.get(i).map(Word::value).unwrap_or_default();
    let result = |tool: &str, packages: Vec<&'w Word<'a>>, note: &'static str| {
        (!packages.is_empty()).then(|| Unpinned {
            tool: tool.to_owned(),
            packages,
            note,
        })
    };
    // pip, python -m pip, uv pip
    let pip_args = if (prog == "pip" || prog.starts_with("pip3")) && arg(1) == "install" {
        Some(&argv[2..])
    } else if prog.starts_with("python") || prog == "py" {
        let m = argv.iter().position(|w| w.value() == "-m")?;
        (arg(m + 1) == "pip" && arg(m + 2) == "install").then(|| &argv[m + 3..])
    } else if prog == "uv" && arg(1) == "pip" && arg(2) == "install" {
        Some(&argv[3..])
    } else {
        None
    };
    if let Some(args) = pip_args {
        if has(
            args,
            &["--require-hashes", "-c", "--constraint", "--no-index"],
        ) {
            return None;
        }
        let pkgs = positionals(args, &PIP_VALUE_OPTS)
            .into_iter()
            .filter(|w| !pip_pinned(&w.value()))
            .collect();
        return result(
            "pip install",
            pkgs,
            "pin versions with `==` or install from a requirements file with hashes",
        );
    }
    match prog.as_str() {
        "npm"
            if matches!(
                arg(1).as_str(),
                "install" | "i" | "add" | "in" | "ins" | "inst" | "insta" | "instal" | "isntall"
            ) =>
        {
            let args = &argv[2..];
            let global = has(args, &["-g", "--global"]);
            let pkgs = positionals(args, &NPM_VALUE_OPTS)
                .into_iter()
                .filter(|w| !npm_pinned(&w.value()))
                .collect();
            let tool = if global {
                "npm install -g"
            } else {
                "npm install"
            };
            result(
                tool,
                pkgs,
                "pin an exact version (`pkg@1.2.3`) or add it to package.json and use `npm ci`",
            )
        }
        "npx" | "bunx" => {
            let args = &argv[1..];
            if has(args, &["--no", "--no-install", "--offline"]) {
                return None;
            }
            let explicit: Vec<&Word<'a>> = args
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    *i > 0 && matches!(args[i - 1].value().as_str(), "-p" | "--package")
                })
                .map(|(_, w)| w)
                .collect();
            let pkgs: Vec<&Word<'a>> = if explicit.is_empty() {
                positionals(args, &["-p", "--package", "-c", "--call"])
                    .into_iter()
                    .take(1)
                    .collect()
            } else {
                explicit
            };
            // With the project's dependencies installed, `npx tool` runs the locked local copy.
            if js_locked
                && pkgs.iter().all(|w| {
                    !w.value().contains('@')
                        || w.value().starts_with('@') && w.value().matches('@').count() == 1
                })
            {
                return None;
            }
            let pkgs = pkgs
                .into_iter()
                .filter(|w| !npm_pinned(&w.value()))
                .collect();
            result(&prog, pkgs, "pin an exact version (`pkg@1.2.3`)")
        }
        "pnpm" | "yarn" if arg(1) == "dlx" => {
            let pkgs = positionals(&argv[2..], &["-p", "--package"])
                .into_iter()
                .take(1)
                .filter(|w| !npm_pinned(&w.value()))
                .collect();
            result(
                &format!("{prog} dlx"),
                pkgs,
                "pin an exact version (`pkg@1.2.3`)",
            )
        }
        "pnpm"
            if matches!(arg(1).as_str(), "add" | "install" | "i")
                && has(&argv[2..], &["-g", "--global"]) =>
        {
            let pkgs = positionals(&argv[2..], &NPM_VALUE_OPTS)
                .into_iter()
                .filter(|w| !npm_pinned(&w.value()))
                .collect();
            result("pnpm add -g", pkgs, "pin an exact version (`pkg@1.2.3`)")
        }
        "yarn" if arg(1) == "global" && arg(2) == "add" => {
            let pkgs = positionals(&argv[3..], &NPM_VALUE_OPTS)
                .into_iter()
                .filter(|w| !npm_pinned(&w.value()))
                .collect();
            result(
                "yarn global add",
                pkgs,
                "pin an exact version (`pkg@1.2.3`)",
            )
        }
        "go" if matches!(arg(1).as_str(), "install" | "run") => {
            let sub = arg(1);
            let pos = positionals(&argv[2..], &GO_VALUE_OPTS);
            let pkgs = if sub == "run" {
                pos.into_iter().take(1).collect::<Vec<_>>()
            } else {
                pos
            };
            let pkgs = pkgs
                .into_iter()
                .filter(|w| !not_a_registry_package(&w.value()) && !go_pinned(&w.value()))
                .collect();
            result(&format!("go {sub}"), pkgs, "use a full version (`@v1.2.3`)")
        }
        "cargo" if matches!(arg(1).as_str(), "install" | "binstall") => {
            let args = &argv[2..];
            if has(args, &["--path"]) {
                return None;
            }
            if has(args, &["--git"]) {
                if has(args, &["--rev", "--tag"]) {
                    return None;
                }
                let git = args
                    .iter()
                    .position(|w| w.value() == "--git")
                    .and_then(|i| args.get(i + 1))
                    .or_else(|| args.iter().find(|w| w.value().starts_with("--git=")));
                return result(
                    &format!("cargo {}", arg(1)),
                    git.into_iter().collect(),
                    "add `--rev <commit>` or `--tag`",
                );
            }
            if option(args, &["--version", "--vers"]).is_some() {
                return None;
            }
            let pkgs = positionals(args, &CARGO_VALUE_OPTS)
                .into_iter()
                .filter(|w| !w.value().contains('@') && !not_a_registry_package(&w.value()))
                .collect();
            let note = if has(args, &["--locked"]) {
                "`--locked` pins its dependencies but not the crate; add `--version`"
            } else {
                "add `--version` (and `--locked`)"
            };
            result(&format!("cargo {}", arg(1)), pkgs, note)
        }
        "gem" if arg(1) == "install" => {
            let args = &argv[2..];
            if option(args, &["-v", "--version"]).is_some() || has(args, &["--file", "-g"]) {
                return None;
            }
            let pkgs = positionals(args, &GEM_VALUE_OPTS)
                .into_iter()
                .filter(|w| !w.value().contains(':') && !not_a_registry_package(&w.value()))
                .collect();
            result("gem install", pkgs, "add `-v <version>`")
        }
        "uv" | "pipx"
            if matches!(
                (arg(1).as_str(), arg(2).as_str()),
                ("tool", "install" | "run") | ("install" | "run", _)
            ) || prog == "uvx" =>
        {
            let (tool, args) = if prog == "uv" && arg(1) == "tool" {
                (format!("uv tool {}", arg(2)), &argv[3..])
            } else if prog == "pipx" && matches!(arg(1).as_str(), "install" | "run") {
                (format!("pipx {}", arg(1)), &argv[2..])
            } else {
                return None;
            };
            tool_install(tool, args)
        }
        "uvx" => tool_install("uvx".to_owned(), &argv[1..]),
        "dotnet" if arg(1) == "tool" && matches!(arg(2).as_str(), "install" | "update") => {
            let args = &argv[3..];
            if option(args, &["--version"]).is_some() {
                return None;
            }
            let pkgs = positionals(
                args,
                &[
                    "--version",
                    "--tool-path",
                    "--add-source",
                    "--configfile",
                    "--framework",
                    "-a",
                    "--arch",
                ],
            )
            .into_iter()
            .take(1)
            .collect();
            result("dotnet tool install", pkgs, "add `--version`")
        }
        _ => None,
    }
}

fn tool_install<'w, 'a>(tool: String, args: &'w [Word<'a>]) -> Option<Unpinned<'w, 'a>> {
    let spec = |w: &Word<'_>| {
        let v = w.value();
        v.contains("==") || v.contains('@') || not_a_registry_package(&v)
    };
    // `--from spec` / `--spec spec` name the package; the positional is then a command.
    let from = args
        .iter()
        .position(|w| matches!(w.value().as_str(), "--from" | "--spec"))
        .and_then(|i| args.get(i + 1));
    let pkgs: Vec<&Word<'a>> = match from {
        Some(f) => vec![f],
        None => positionals(args, &TOOL_VALUE_OPTS)
            .into_iter()
            .take(1)
            .collect(),
    };
    let pkgs: Vec<&Word<'a>> = pkgs.into_iter().filter(|w| !spec(w)).collect();
    (!pkgs.is_empty()).then_some(Unpinned {
        tool,
        packages: pkgs,
        note: "pin a version (`tool==1.2.3` or `tool@1.2.3`)",
    })
}

/// `earlier_lock` says whether an earlier step installed locked JavaScript dependencies; it is
/// only asked (it walks the job's earlier steps) when the answer matters, for `npx`-style runs.
fn check(
    cx: &Cx<'_, '_>,
    lines: &[Line<'_>],
    earlier_lock: &dyn Fn() -> bool,
    out: &mut Vec<Finding>,
) {
    let mut js_locked = false;
    let mut asked = false;
    for line in lines {
        let pipes = parse(line.text);
        for c in commands(&pipes) {
            if locked_js_install(c) {
                js_locked = true;
            }
            let Some(u) = unpinned(c.argv(), js_locked) else {
                continue;
            };
            if !js_locked && !asked && unpinned(c.argv(), true).is_none() {
                asked = true;
                js_locked = earlier_lock();
                if js_locked {
                    continue;
                }
            }
            let ranges: Vec<Option<String>> = u
                .packages
                .iter()
                .map(|w| version_range(&u.tool, &w.value()))
                .collect();
            let floating: Vec<String> = u
                .packages
                .iter()
                .zip(&ranges)
                .filter(|(_, r)| r.is_none())
                .map(|(w, _)| format!("`{}`", w.value()))
                .collect();
            let ranged: Vec<String> = u
                .packages
                .iter()
                .zip(&ranges)
                .filter_map(|(w, r)| {
                    let r = r.as_deref()?;
                    let v = w.value();
                    let name = v.strip_suffix(r).unwrap_or(&v);
                    let name = name.strip_suffix('@').unwrap_or(name);
                    Some(format!("`{name}` at any version matching `{r}`"))
                })
                .collect();
            let mut what = Vec::new();
            if !floating.is_empty() {
                what.push(format!(
                    "{} at whatever version is newest",
                    floating.join(", ")
                ));
            }
            what.extend(ranged);
            let first = u.packages[0];
            let mut f = cx.finding(
                &UnpinnedInstall::INFO,
                line.span(cx, first.start, first.end()),
                if floating.is_empty() {
                    "version range, not a pin"
                } else {
                    "no version pin"
                },
                format!(
                    "`{}` takes {} when the job runs, so a malicious or broken release is used without review; {}",
                    u.tool,
                    what.join(" and "),
                    u.note
                ),
            );
            if floating.is_empty() && ranges.iter().flatten().all(|r| bounded(r)) {
                // A bounded range at least keeps out other series; `>=2.0` does not.
                f = f.severity(Severity::Low);
            }
            for (w, r) in u.packages.iter().zip(&ranges).skip(1) {
                let label = if r.is_some() {
                    "also a version range"
                } else {
                    "also unpinned"
                };
                f = f.related(cx.loc(line.span(cx, w.start, w.end()), label));
            }
            out.push(f);
        }
    }
}

/// Actions that install a project's locked JavaScript dependencies.
const JS_INSTALL_ACTIONS: [&str; 2] = ["bahmutov/npm-install", "borales/actions-yarn"];

/// Whether one of `steps` installs the project's locked JavaScript dependencies: an `npm ci`
/// (or the like) in a script, a known installing action, or a local composite action that does
/// (or that is not in this repository, so could).
fn installs_js(cx: &Cx<'_, '_>, steps: &[Step<'_>], depth: usize) -> bool {
    steps.iter().any(|s| {
        if let Some(t) = s.run().and_then(|r| r.as_str()) {
            return commands(&parse(t)).any(locked_js_install);
        }
        if JS_INSTALL_ACTIONS.iter().any(|a| s.uses_action(a)) {
            return true;
        }
        match s
            .uses()
            .and_then(|u| u.as_str())
            .and_then(crate::github::Uses::parse)
        {
            Some(crate::github::Uses::Local(dir)) => match cx.repo.local_action(dir) {
                Some(a) => depth < 4 && installs_js(cx, &a.steps, depth + 1),
                None => true,
            },
            _ => false,
        }
    })
}

/// Whether an earlier step of the job installed the project's locked JavaScript dependencies.
fn earlier_js_install(cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>) -> bool {
    let before = &scope.steps()[..step.index.min(scope.steps().len())];
    installs_js(cx, before, 0)
}

impl Rule for UnpinnedInstall {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        if github_shell(scope, step) != Shell::Posix {
            return;
        }
        if let Some(line) = github_line(step) {
            check(cx, &[line], &|| earlier_js_install(cx, scope, step), out);
        }
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        _pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        check(cx, &gitlab_lines(job), &|| false, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<String> {
        let pipes = parse(s);
        let mut locked = false;
        let mut out = Vec::new();
        for c in commands(&pipes) {
            locked |= locked_js_install(c);
            if let Some(u) = unpinned(c.argv(), locked) {
                out.extend(u.packages.iter().map(|w| w.value()));
            }
        }
        out
    }

    #[test]
    fn flags_unpinned_installs() {
        assert_eq!(
            found("pip install black 'flake8>=6' pytest==8.2.0"),
            vec!["black", "flake8>=6"]
        );
        assert_eq!(found("python3 -m pip install --user -U tox"), vec!["tox"]);
        assert_eq!(
            found("npm install -g @angular/cli yarn@1.22.19 pnpm@latest"),
            vec!["@angular/cli", "pnpm@latest"]
        );
        assert_eq!(found("npx cowsay hi"), vec!["cowsay"]);
        assert_eq!(
            found("go install golang.org/x/vuln/cmd/govulncheck@latest"),
            vec!["golang.org/x/vuln/cmd/govulncheck@latest"]
        );
        assert_eq!(
            found("cargo install cargo-audit --locked"),
            vec!["cargo-audit"]
        );
        assert_eq!(found("sudo gem install bundler"), vec!["bundler"]);
        assert_eq!(found("uv tool install ruff"), vec!["ruff"]);
        assert_eq!(found("pipx run --spec black black ."), vec!["black"]);
        assert_eq!(found("uvx ruff check"), vec!["ruff"]);
    }

    #[test]
    fn bounded_ranges() {
        assert!(bounded("~=0.30"));
        assert!(bounded(">=2,<3"));
        assert!(bounded("^1.2"));
        assert!(bounded("0.31"));
        assert!(!bounded(">=2.0.15"));
        assert!(!bounded(">1"));
        assert!(!bounded("*"));
    }

    #[test]
    fn version_ranges() {
        let r = |tool: &str, spec: &str| version_range(tool, spec);
        assert_eq!(
            r("pip install", "codecov>=2.0.15").as_deref(),
            Some(">=2.0.15")
        );
        assert_eq!(
            r(
                "pip install",
                "uvicorn[standard]~=0.30; python_version>'3.8'"
            )
            .as_deref(),
            Some("~=0.30")
        );
        assert_eq!(r("pip install", "black"), None);
        assert_eq!(
            r("npm install -g", "corepack@0.31").as_deref(),
            Some("0.31")
        );
        assert_eq!(
            r("npm install -g", "@scope/cli@^1.2").as_deref(),
            Some("^1.2")
        );
        assert_eq!(r("npm install -g", "pnpm@latest"), None);
        assert_eq!(r("npm install -g", "@angular/cli"), None);
        assert_eq!(r("npx", "cowsay"), None);
        assert_eq!(
            r("go install", "x.org/y/cmd/z@v1.2").as_deref(),
            Some("v1.2")
        );
        assert_eq!(r("go install", "x.org/y/cmd/z@latest"), None);
        assert_eq!(r("go install", "x.org/y/cmd/z@main"), None);
        assert_eq!(r("uv tool install", "ruff>=0.5").as_deref(), Some(">=0.5"));
    }

    #[test]
    fn accepts_pins_and_project_installs() {
        for s in [
            "pip install .",
            "pip install -e '.[dev]'",
            "pip install -r requirements.txt",
            "pip install --require-hashes -r requirements.txt",
            "pip install --upgrade pip setuptools wheel",
            "pip install -c constraints.txt tox",
            "pip install \"$PKG\"",
            "npm ci",
            "npm install",
            "npm install --no-audit",
            "npm install -g npm@10.8.1",
            "npm ci && npx eslint .",
            "go install ./cmd/tool",
            "go install golang.org/x/tools/cmd/goimports@v0.22.0",
            "go install golang.org/x/vuln/cmd/govulncheck@${GOVULNCHECK_VERSION}",
            "npm install -g renovate@$RENOVATE_VERSION",
            "cargo install --path .",
            "cargo install cargo-deny --version 0.14.24 --locked",
            "cargo install cargo-deny@0.14.24",
            "cargo install --git https://github.com/x/y --rev 0123abc",
            "gem install bundler -v 2.5.11",
            "uv tool install ruff==0.5.0",
            "uvx ruff@0.5.0 check",
            "pipx install 'poetry==1.8.3'",
            "dotnet tool install -g dotnet-format --version 5.1.250801",
            "echo pip install x",
        ] {
            assert!(found(s).is_empty(), "{s}: {:?}", found(s));
        }
    }
}
