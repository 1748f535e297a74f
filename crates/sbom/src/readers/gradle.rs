//! Gradle `gradle.lockfile` (Gradle 6.0 and later, one file per project), written by
//! `gradle dependencies --write-locks`.
//!
//! Each line is `group:artifact:version=configuration,configuration`; `empty=` names the locked
//! configurations that resolve to nothing; `#` lines are comments. Every line is a Maven component.
//! A component is `dev` when every configuration it is locked in is a test one (`test...`, or a
//! camel-case `...Test...` such as `integrationTestRuntimeClasspath`,
//! `debugUnitTestRuntimeClasspath`); the configurations are kept in the property `configurations`.
//!
//! The lockfile records no dependency graph: no edges, and nothing says which packages the build
//! asks for itself. As a best effort, a component whose `group:artifact` is written as a quoted
//! coordinate (`"group:artifact:..."` or `'group:artifact...'`) in the `build.gradle` or
//! `build.gradle.kts` beside the lockfile is direct, and the root depends on it; everything else
//! (also direct dependencies declared through a version catalog, `libs.x.y`) is transitive. The
//! root is `pkg:generic/<name>`, with `rootProject.name` from `settings.gradle(.kts)` beside the
//! lockfile, else the directory name (a Maven purl needs the project's group, which neither file
//! records). The legacy per-configuration `gradle/dependency-locks/*.lockfile` files (before Gradle 6)
//! are not read.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

/// `gradle.lockfile`.
pub const READER: super::Reader = super::Reader {
    format: "gradle.lockfile",
    matches: |name| name == "gradle.lockfile",
    parse: |input| {
        let build = input
            .sibling("build.gradle.kts")
            .or_else(|| input.sibling("build.gradle"));
        let settings = input
            .sibling("settings.gradle.kts")
            .or_else(|| input.sibling("settings.gradle"));
        let name = settings
            .as_deref()
            .and_then(root_project_name)
            .unwrap_or_else(|| input.dir_name.to_string());
        parse(input.rel, input.text, build.as_deref(), &name)
    },
};

/// Parse `gradle.lockfile` text; `build` is the build script beside it, `project` the root's name.
pub fn parse(
    file: &str,
    text: &str,
    build: Option<&str>,
    project: &str,
) -> Result<Lockfile, InputError> {
    // A Maven purl needs a group as its namespace, and neither the settings nor the lockfile name
    // the project's: the root is generic.
    let mut root = Component::new(Ecosystem::Generic, project, "", file);
    root.scope = Scope::Direct;
    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let at = start + lead;
        let Some((coords, confs)) = line.split_once('=') else {
            return Err(InputError::at(
                file,
                text,
                at,
                "expected `group:artifact:version=configurations` or `empty=`",
            ));
        };
        let coords = coords.trim();
        if coords == "empty" {
            continue;
        }
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            return Err(InputError::at(
                file,
                text,
                at,
                format!("`{coords}` is not `group:artifact:version`"),
            ));
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            return Err(InputError::at(
                file,
                text,
                at,
                format!("`{coords}` is not `group:artifact:version`"),
            ));
        }
        let confs: Vec<&str> = confs
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let mut c = Component::new(
            Ecosystem::Maven,
            &format!("{group}:{artifact}"),
            version,
            file,
        );
        c.dev = !confs.is_empty() && confs.iter().all(|c| is_test_configuration(c));
        if build.is_some_and(|b| declared(b, group, artifact)) {
            c.scope = Scope::Direct;
        }
        c = c.property("configurations", confs.join(","));
        comps.insert(c.purl.clone(), c);
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert(
        root.purl.clone(),
        comps
            .values()
            .filter(|c| c.scope == Scope::Direct)
            .map(|c| c.purl.clone())
            .collect(),
    );
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: comps.into_values().collect(),
        edges,
    })
}

/// `testCompileClasspath`, `testRuntimeClasspath`, `integrationTestRuntimeClasspath`,
/// `debugAndroidTestCompileClasspath`: a configuration only tests use.
pub fn is_test_configuration(name: &str) -> bool {
    name.starts_with("test") || name.contains("Test")
}

/// Whether the build script names `group:artifact` as the start of a quoted coordinate.
fn declared(build: &str, group: &str, artifact: &str) -> bool {
    let ga = format!("{group}:{artifact}");
    ['"', '\''].iter().any(|q| {
        build.match_indices(&format!("{q}{ga}")).any(|(i, m)| {
            // The artifact must end there: `:version`, the closing quote, or `@ext`.
            matches!(
                build.get(i + m.len()..).and_then(|r| r.chars().next()),
                Some(':' | '"' | '\'' | '@')
            )
        })
    })
}

/// `rootProject.name = "x"` (Kotlin or Groovy, either quote).
pub fn root_project_name(settings: &str) -> Option<String> {
    settings.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("rootProject.name")?;
        let rest = rest.trim_start().strip_prefix('=')?.trim();
        let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = rest.get(1..)?;
        let end = inner.find(q)?;
        let name = inner.get(..end)?;
        (!name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "\
# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
com.google.guava:failureaccess:1.0.1=compileClasspath,runtimeClasspath,testCompileClasspath,testRuntimeClasspath
com.google.guava:guava:32.1.3-jre=compileClasspath,runtimeClasspath,testCompileClasspath,testRuntimeClasspath
junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath
org.hamcrest:hamcrest-core:1.3=testCompileClasspath,testRuntimeClasspath
org.testcontainers:postgresql:1.19.3=integrationTestRuntimeClasspath
empty=annotationProcessor,testAnnotationProcessor
";

    #[test]
    fn test_configurations_make_dev_components() {
        let build = "dependencies {\n    implementation(\"com.google.guava:guava:32.1.3-jre\")\n    testImplementation 'junit:junit:4.13.2'\n}\n";
        let l = parse("gradle.lockfile", LOCK, Some(build), "app").expect("parses");
        assert_eq!(l.root.purl, "pkg:generic/app");
        let by: BTreeMap<_, _> = l.components.iter().map(|c| (c.purl.as_str(), c)).collect();
        assert_eq!(by.len(), 5);
        let guava = by["pkg:maven/com.google.guava/guava@32.1.3-jre"];
        assert!(!guava.dev);
        assert_eq!(guava.scope, Scope::Direct);
        assert_eq!(
            guava.properties["configurations"],
            "compileClasspath,runtimeClasspath,testCompileClasspath,testRuntimeClasspath"
        );
        assert!(by["pkg:maven/junit/junit@4.13.2"].dev);
        assert_eq!(by["pkg:maven/junit/junit@4.13.2"].scope, Scope::Direct);
        assert!(by["pkg:maven/org.hamcrest/hamcrest-core@1.3"].dev);
        assert_eq!(
            by["pkg:maven/org.hamcrest/hamcrest-core@1.3"].scope,
            Scope::Transitive
        );
        assert!(by["pkg:maven/org.testcontainers/postgresql@1.19.3"].dev);
        assert!(!by["pkg:maven/com.google.guava/failureaccess@1.0.1"].dev);
        assert_eq!(
            l.edges["pkg:generic/app"],
            BTreeSet::from([
                "pkg:maven/com.google.guava/guava@32.1.3-jre".to_string(),
                "pkg:maven/junit/junit@4.13.2".to_string()
            ])
        );
    }

    #[test]
    fn declared_needs_the_whole_artifact() {
        assert!(declared("api 'a.b:c'", "a.b", "c"));
        assert!(declared("api(\"a.b:c:1.0@aar\")", "a.b", "c"));
        assert!(!declared("api 'a.b:core:1.0'", "a.b", "c"));
        assert!(!declared("// a.b:c:1.0", "a.b", "c"));
    }

    #[test]
    fn settings_name_the_root() {
        assert_eq!(
            root_project_name(
                "pluginManagement {}\nrootProject.name = \"billing\"\ninclude(\"x\")\n"
            )
            .as_deref(),
            Some("billing")
        );
        assert_eq!(
            root_project_name("rootProject.name='legacy'").as_deref(),
            Some("legacy")
        );
        assert_eq!(root_project_name("include 'a'"), None);
    }

    #[test]
    fn malformed_lines_name_the_position() {
        let e = parse(
            "app/gradle.lockfile",
            "# c\n  junit:junit=testCompileClasspath\n",
            None,
            "x",
        )
        .expect_err("two parts");
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("app/gradle.lockfile", 2, 3)
        );
        let e = parse("gradle.lockfile", "a:b:1\n", None, "x").expect_err("no =");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("configurations"), "{e}");
    }
}
