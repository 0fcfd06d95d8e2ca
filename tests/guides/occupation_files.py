"""Small O*NET and BLS files in their published formats, written by the tests that need them."""

from pathlib import Path

OCCUPATIONS = [
    ("15-1254.00", "Web Developers", "O*NET's own description, never stored."),
    ("15-1299.08", "Computer Systems Engineers/Architects", "Not stored either."),
    ("29-1141.00", "Registered Nurses", "Nor this."),
]
TITLES = [
    ("15-1254.00", "Back End Engineer", "n/a", "10"),
    ("15-1254.00", "Web Programmer", "n/a", "08"),
    ("15-1299.08", "Site Reliability Engineer (SRE)", "SRE", "10"),
    ("29-1141.00", "Staff Nurse", "n/a", "08"),
]
JOB_ZONES = [("15-1254.00", "3"), ("15-1299.08", "4"), ("29-1141.00", "3")]
SCORES = {
    "15-1254.00": ("2.95", "5.06", "3.07", "2.24", "2.89", "5.09", "6.00", "2.00", "0.00"),
    "15-1299.08": ("3.50", "6.10", "2.00", "2.10", "3.00", "4.20", "2.00", "6.00", "1.00"),
    "29-1141.00": ("3.10", "4.90", "1.90", "6.50", "2.80", "3.30", "4.00", "2.00", "1.00"),
}
RELATED = [
    ("15-1254.00", "15-1299.08", "Primary-Short", "1"),
    ("15-1299.08", "15-1254.00", "Primary-Short", "1"),
    ("15-1299.08", "29-1141.00", "Supplemental", "2"),
]
TECHNOLOGY = [
    ("15-1254.00", "PostgreSQL", "43232306", "Data base user interface and query software", "Y", "N"),
    ("15-1254.00", "Python", "43232402", "Development environment software", "Y", "Y"),
    ("15-1299.08", "Python", "43232402", "Development environment software", "Y", "Y"),
    ("15-1299.08", "Kubernetes", "43233004", "Operating system software", "Y", "N"),
    ("29-1141.00", "Epic Systems", "43231601", "Medical software", "Y", "N"),
]
BLS_HEADER = (
    "2024 National Employment Matrix title,2024 National Employment Matrix code,Occupation type,"
    '"Employment, 2024","Employment, 2034","Employment distribution, percent, 2024",'
    '"Employment distribution, percent, 2034","Employment change, numeric, 2024\u201334",'
    '"Employment change, percent, 2024\u201334","Percent self employed, 2024",'
    '"Occupational openings, 2024\u201334 annual average","Median annual wage, dollars, 2024[1]",'
    "Typical education needed for entry,Work experience in a related occupation,"
    "Typical on-the-job training needed to attain competency in the occupation,"
    "Related Occupational Outlook Handbook (OOH) content xlsx"
)
BLS_ROWS = [
    '"Total, all occupations",00-0000,Summary,169956.1,175167.9,100,100,5211.8,3.1,5.8,18863.3,49500,—,—,—,—',
    "        Web developers,15-1254,Line item,86,92.5,0.1,0.1,6.5,7.5,5.3,5.4,90930,Bachelor's degree,None,None,OOH",
    '"      Computer occupations, all other",15-1299,Line item,472,510.5,0.3,0.3,38.5,8.2,3.9,31.3,108970,'
    "Bachelor's degree,None,None,—",
    "      Registered nurses,29-1141,Line item,3391,3588.4,2,2,197.4,5.8,2.9,189.1,93600,"
    "Bachelor's degree,None,None,OOH",
]


def tsv(path: Path, header: list[str], rows) -> None:
    lines = ["\t".join(header), *("\t".join(row) for row in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def write_files(directory: Path, *, extra: dict | None = None, bls_rows=None) -> tuple[Path, Path]:
    """The six O*NET files and the BLS table in `directory`; `extra` appends raw lines to a file by name."""
    onet = directory / "onet"
    onet.mkdir(exist_ok=True)
    tsv(onet / "Occupation Data.txt", ["O*NET-SOC Code", "Title", "Description"], OCCUPATIONS)
    tsv(onet / "Alternate Titles.txt", ["O*NET-SOC Code", "Alternate Title", "Short Title", "Source(s)"], TITLES)
    tsv(
        onet / "Job Zones.txt",
        ["O*NET-SOC Code", "Job Zone", "Date", "Domain Source"],
        [(*r, "08/2023", "Analyst") for r in JOB_ZONES],
    )
    elements = [
        ("1.B.1.a", "Realistic", "OI"), ("1.B.1.b", "Investigative", "OI"), ("1.B.1.c", "Artistic", "OI"),
        ("1.B.1.d", "Social", "OI"), ("1.B.1.e", "Enterprising", "OI"), ("1.B.1.f", "Conventional", "OI"),
        ("1.B.1.g", "First Interest High-Point", "IH"), ("1.B.1.h", "Second Interest High-Point", "IH"),
        ("1.B.1.i", "Third Interest High-Point", "IH"),
    ]  # fmt: skip
    interest_rows = [
        (code, element, name, scale, value, "11/2023", "Machine Learning")
        for code, values in SCORES.items()
        for (element, name, scale), value in zip(elements, values, strict=True)
    ]
    tsv(
        onet / "Interests.txt",
        ["O*NET-SOC Code", "Element ID", "Element Name", "Scale ID", "Data Value", "Date", "Domain Source"],
        interest_rows,
    )
    tsv(
        onet / "Related Occupations.txt",
        ["O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier", "Index"],
        RELATED,
    )
    tsv(
        onet / "Technology Skills.txt",
        ["O*NET-SOC Code", "Example", "Commodity Code", "Commodity Title", "Hot Technology", "In Demand"],
        TECHNOLOGY,
    )
    bls = directory / "occupation-table-1.2.csv"
    bls.write_text("\n".join([BLS_HEADER, *(BLS_ROWS if bls_rows is None else bls_rows)]) + "\n", encoding="utf-8")
    for name, lines in (extra or {}).items():
        path = bls if name == "bls" else onet / name
        with path.open("a", encoding="utf-8", newline="") as file:
            file.write("".join(line + ("\n" if name == "bls" else "\r\n") for line in lines))
    return onet, bls
