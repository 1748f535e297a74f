//! Container images as arguments of `sign`, `attest` and `verify` (the rule is on `cli::ImageArgs`):
//! parse the reference, connect to its registry, and resolve the manifest it names.

use std::path::Path;

use anyhow::{Result, bail};
use chainproof_attest::oci::{Descriptor, Format, ImageRef, Registry, RegistryOptions};

use crate::cli::ImageArgs;

/// Whether a positional argument names an image: `--image`, or no such file and it looks like one.
pub(crate) fn is_image(arg: &Path, args: &ImageArgs) -> bool {
    if args.image {
        return true;
    }
    if arg.exists() {
        return false;
    }
    arg.to_str().is_some_and(ImageRef::looks_like_image)
}

/// An image, its registry and its manifest descriptor.
pub(crate) struct Target {
    pub(crate) image: ImageRef,
    pub(crate) registry: Registry,
    pub(crate) subject: Descriptor,
}

/// Opens `arg` as an image. `signing` refuses a tag (naming the digest it points to now); otherwise
/// a tag is resolved and the digest it resolved to is used.
pub(crate) fn open(arg: &Path, args: &ImageArgs, signing: bool) -> Result<Target> {
    let Some(text) = arg.to_str() else {
        bail!("{}: not an image reference (not UTF-8)", arg.display());
    };
    let image = ImageRef::parse(text)?;
    let options = RegistryOptions {
        allow_insecure: args.allow_insecure_registry,
    };
    let env = |k: &str| std::env::var(k).ok();
    let registry = Registry::connect(&image.registry, &options, &env)?;
    if signing {
        image.require_digest(&registry)?;
    }
    let subject = registry.resolve(&image)?;
    let image = image.at_digest(&subject.digest);
    Ok(Target {
        image,
        registry,
        subject,
    })
}

pub(crate) fn format(s: &str) -> Result<Format> {
    match Format::parse(s) {
        Some(f) => Ok(f),
        None => bail!("--registry-format {s}: expected referrers, cosign or both"),
    }
}
