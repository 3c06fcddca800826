//! Reading `.off` (Object File Format) triangle meshes.
//!
//! The format: a header line `OFF` (the counts may follow on the same line), a line
//! `vertex_count face_count edge_count`, `vertex_count` lines `x y z` (extra columns, e.g.
//! colours, are ignored), then `face_count` lines `k i_1 ... i_k` (0-based vertex indices;
//! extra columns after the `k` indices are ignored). Blank lines and `#` comments are skipped.
//! A polygon with `k > 3` corners is triangulated by a fan from its first corner
//! `(i_1, i_j, i_{j+1})`; this is exact for convex planar polygons, and the CGAL data meshes
//! are triangles anyway. Faces with fewer than 3 corners, or repeating a corner, are errors.

use std::path::Path;

use super::{Mesh, MeshError, Vec3};

/// Reads the `.off` mesh at `path`.
///
/// # Errors
/// [`MeshError::Io`] if the file cannot be read, [`MeshError::Parse`] naming the file and the
/// line of the first malformed entry.
pub fn read_off(path: &Path) -> Result<Mesh, MeshError> {
    let text = std::fs::read_to_string(path).map_err(|source| MeshError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_off(&text, path)
}

/// Parses `.off` text; `file` names the source in errors.
///
/// # Errors
/// [`MeshError::Parse`] with the 1-based line of the first malformed entry.
pub fn parse_off(text: &str, file: &Path) -> Result<Mesh, MeshError> {
    let err = |line: usize, reason: String| MeshError::Parse {
        file: file.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty());
    let (hline, header) = lines
        .next()
        .ok_or_else(|| err(0, "empty file: expected the header `OFF`".into()))?;
    let mut tokens: Vec<&str> = header.split_whitespace().collect();
    if tokens.first() != Some(&"OFF") {
        return Err(err(
            hline,
            format!("expected the header `OFF`, found {:?}", tokens[0]),
        ));
    }
    tokens.remove(0);
    let count_line = if tokens.is_empty() {
        let (l, text) = lines
            .next()
            .ok_or_else(|| err(0, "missing the line `vertices faces edges`".into()))?;
        tokens = text.split_whitespace().collect();
        l
    } else {
        hline
    };
    if tokens.len() < 2 {
        return Err(err(
            count_line,
            format!(
                "expected `vertices faces edges`, found {:?}",
                tokens.join(" ")
            ),
        ));
    }
    let count = |t: &str, what: &str| {
        t.parse::<usize>().map_err(|_| {
            err(
                count_line,
                format!("{what} count {t:?} is not a whole number"),
            )
        })
    };
    let nv = count(tokens[0], "vertex")?;
    let nf = count(tokens[1], "face")?;
    let mut vertices = Vec::with_capacity(nv);
    for k in 0..nv {
        let (l, text) = lines.next().ok_or_else(|| {
            err(
                0,
                format!("the file ends after {k} of the {nv} vertices the header announces"),
            )
        })?;
        let t: Vec<&str> = text.split_whitespace().collect();
        if t.len() < 3 {
            return Err(err(
                l,
                format!("vertex {k}: expected `x y z`, found {text:?}"),
            ));
        }
        let mut xyz = [0.0; 3];
        for (c, s) in xyz.iter_mut().zip(&t[..3]) {
            *c = s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(l, format!("vertex {k}: {s:?} is not a finite number")))?;
        }
        vertices.push(Vec3(xyz));
    }
    let mut faces = Vec::with_capacity(nf);
    for k in 0..nf {
        let (l, text) = lines.next().ok_or_else(|| {
            err(
                0,
                format!("the file ends after {k} of the {nf} faces the header announces"),
            )
        })?;
        let t: Vec<&str> = text.split_whitespace().collect();
        let corners: usize = t[0].parse().map_err(|_| {
            err(
                l,
                format!("face {k}: corner count {:?} is not a whole number", t[0]),
            )
        })?;
        if corners < 3 {
            return Err(err(
                l,
                format!("face {k}: {corners} corners, a face needs at least 3"),
            ));
        }
        if t.len() < 1 + corners {
            return Err(err(
                l,
                format!(
                    "face {k}: announces {corners} corners but lists {}",
                    t.len() - 1
                ),
            ));
        }
        let mut idx = Vec::with_capacity(corners);
        for s in &t[1..=corners] {
            let i: usize = s
                .parse()
                .map_err(|_| err(l, format!("face {k}: index {s:?} is not a whole number")))?;
            if i >= nv {
                return Err(err(
                    l,
                    format!("face {k}: index {i} out of range (the mesh has {nv} vertices)"),
                ));
            }
            idx.push(i);
        }
        for j in 1..corners - 1 {
            let f = [idx[0], idx[j], idx[j + 1]];
            if f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
                return Err(err(l, format!("face {k}: repeats a vertex ({idx:?})")));
            }
            faces.push(f);
        }
    }
    Mesh::new(vertices, faces).map_err(|e| err(0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mesh, MeshError> {
        parse_off(text, Path::new("t.off"))
    }

    #[test]
    fn reads_triangles_comments_and_fans_polygons() {
        let m = parse("OFF\n# a square\n4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n").unwrap();
        assert_eq!(m.vertices.len(), 4);
        assert_eq!(m.faces, vec![[0, 1, 2], [0, 2, 3]]);
        let m = parse("OFF 3 1 0\n0 0 0 255 0 0\n1 0 0\n0 1 0\n3 0 1 2 9 9 9\n").unwrap();
        assert_eq!(m.faces, vec![[0, 1, 2]]);
    }

    #[test]
    fn malformed_input_names_file_and_line() {
        let cases = [
            ("PLY\n", "t.off:1: expected the header `OFF`"),
            ("OFF\n3 x 0\n", "t.off:2: face count \"x\""),
            (
                "OFF\n3 1 0\n0 0 0\n1 a 0\n",
                "t.off:4: vertex 1: \"a\" is not a finite",
            ),
            (
                "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n",
                "t.off:6: face 0: index 3 out of range",
            ),
            (
                "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n",
                "t.off:6: face 0: 2 corners",
            ),
            (
                "OFF\n3 2 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n",
                "t.off:0: the file ends after 1 of the 2 faces",
            ),
            (
                "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 1\n",
                "t.off:6: face 0: repeats a vertex",
            ),
            ("", "t.off:0: empty file"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        let e = read_off(Path::new("/no/such/mesh.off"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/no/such/mesh.off"), "{e}");
    }
}
