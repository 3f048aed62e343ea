"""Demo organisation tree and people. All person names are invented."""

from django.contrib.auth.hashers import make_password

from accounts.models import Gender, OrgUnit, Rank, Role, RoleGrant, User
from core.demo_context import DEMO_PASSWORD

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国志强海燕晓明丽华文军宏伟春梅秀英立新振华德明光辉永红玉兰卫东俊峰雪松思远晨曦嘉怡子涵浩然雨萱博文欣悦一鸣若溪承志明远静怡书瑶泽宇梓涵铭轩婉清嘉懿晟睿沐阳知秋问渠景行"

# (code, name, kind, parent code)
TREE = [
    ("YJ", "云江省", "province", None),
    ("YJ-ZZB", "省委组织部", "department", "YJ"),
    ("YJ-DX", "省委党校", "school", "YJ"),
    ("YJ-FGW", "省发展和改革委员会", "department", "YJ"),
    ("YJ-JYT", "省教育厅", "department", "YJ"),
    ("YJ-CZT", "省财政厅", "department", "YJ"),
]
CITIES = [
    ("YJC", "云江市", [("QH", "青湖区"), ("DS", "东山区"), ("LX", "柳溪县")]),
    ("LC", "临川市", [("LCB", "北岭区"), ("SY", "石堰县"), ("HT", "禾田县")]),
    ("BH", "白河市", [("BHN", "南湾区"), ("CP", "长坪县")]),
    ("QF", "青峰市", [("QFX", "西渡区"), ("YS", "云山县")]),
]
CITY_DEPTS = [
    ("ZZB", "市委组织部"),
    ("DX", "市委党校"),
    ("FGW", "市发展和改革委员会"),
    ("JYJ", "市教育局"),
    ("CZJ", "市财政局"),
    ("NYJ", "市农业农村局"),
    ("SWJ", "市商务局"),
]
COUNTY_DEPTS = [
    ("ZZB", "委组织部"),
    ("DX", "委党校"),
    ("FGJ", "发展和改革局"),
    ("NYJ", "农业农村局"),
]
TOWNSHIPS = ["桃源镇", "石桥镇", "清溪乡", "凤鸣街道", "新塘镇", "白沙乡"]

POSITIONS = {
    "department": [
        ("局长", Rank.COUNTY),
        ("副局长", Rank.COUNTY),
        ("处长", Rank.COUNTY),
        ("科长", Rank.SECTION),
        ("副科长", Rank.SECTION),
        ("科员", Rank.STAFF),
    ],
    "county": [("县长", Rank.COUNTY), ("副县长", Rank.COUNTY), ("办公室主任", Rank.SECTION)],
    "township": [
        ("党委书记", Rank.SECTION),
        ("镇长", Rank.SECTION),
        ("副镇长", Rank.SECTION),
        ("党政办主任", Rank.STAFF),
        ("驻村干部", Rank.STAFF),
    ],
    "province_dept": [
        ("厅长", Rank.BUREAU),
        ("副厅长", Rank.BUREAU),
        ("处长", Rank.COUNTY),
        ("副处长", Rank.COUNTY),
        ("主任科员", Rank.SECTION),
    ],
}

# Fixed demo logins: username -> (name, unit code, position, rank)
DEMO_USERS = {
    "admin": ("韩思远", "YJ-ZZB", "干部教育处处长", Rank.COUNTY),
    "organizer": ("周晓岚", "YJC-ZZB", "干部教育科科长", Rank.SECTION),
    "organizer2": ("邵文博", "LC-ZZB", "干部教育科科长", Rank.SECTION),
    "manager": ("苏婉清", "YJC-DX", "教务处副处长", Rank.COUNTY),
    "assistant": ("梁子涵", "YJC-DX", "教务处干事", Rank.STAFF),
    "venue": ("彭景行", "YJC-QH-DX", "教务科科长", Rank.SECTION),
    "lecturer": ("顾明远", "YJC-FGW", "主任", Rank.BUREAU),
    "liaison": ("沈书瑶", "YJC-QH-ZZB", "干部科科员", Rank.STAFF),
    "trainee": ("江沐阳", "YJC-QH-T1", "街道办事处主任", Rank.SECTION),
    # 三员分立: the administrators of the system itself (no business role)
    "sysadmin": ("程立新", "YJ-ZZB", "信息化工作科科长", Rank.SECTION),
    "secadmin": ("罗雪松", "YJ-ZZB", "保密科科长", Rank.SECTION),
    "auditor": ("陆静怡", "YJ-ZZB", "干部监督处主任科员", Rank.SECTION),
}


def _unit(ctx, code, name, kind, parent_code):
    unit = ctx.units.get(code) or OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit.objects.create(
            code=code, name=name, kind=kind, parent=ctx.units.get(parent_code)
        )
    ctx.units[code] = unit
    return unit


def seed_units(ctx):
    for code, name, kind, parent in TREE:
        _unit(ctx, code, name, kind, parent)
    for ccode, cname, counties in CITIES:
        _unit(ctx, ccode, cname, "city", "YJ")
        for dcode, dname in CITY_DEPTS:
            _unit(ctx, f"{ccode}-{dcode}", cname + dname[1:], "department", ccode)
        for i, (kcode, kname) in enumerate(counties):
            code = f"{ccode}-{kcode}"
            _unit(ctx, code, kname, "county", ccode)
            for dcode, dname in COUNTY_DEPTS:
                _unit(ctx, f"{code}-{dcode}", kname + dname, "department", code)
            for t in range(2):
                tname = TOWNSHIPS[(i * 2 + t + len(ccode)) % len(TOWNSHIPS)]
                _unit(ctx, f"{code}-T{t + 1}", tname, "township", code)


def _name(rng, used):
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


def seed_people(ctx, *, cadres_per_unit: int = 6):
    rng = ctx.rng
    password = make_password(DEMO_PASSWORD)
    used = {name for name, *_ in DEMO_USERS.values()}
    existing = set(
        User.objects.filter(username__startswith="cadre").values_list("username", flat=True)
    )
    new_users = []
    n = 0
    for unit in sorted(ctx.units.values(), key=lambda u: u.code):
        if unit.kind in ("province", "city", "school"):
            continue
        if unit.kind == "department":
            pool = POSITIONS["province_dept" if unit.depth == 1 else "department"]
        else:
            pool = POSITIONS[unit.kind]
        for _ in range(cadres_per_unit):
            n += 1
            name = _name(rng, used)
            position, rank = rng.choice(pool)
            gender = rng.choice((Gender.MALE, Gender.MALE, Gender.FEMALE))
            phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            username = f"cadre{n:04d}"
            if username in existing:
                continue
            new_users.append(
                User(
                    username=username,
                    full_name=name,
                    password=password,
                    unit=unit,
                    rank=rank,
                    position=position,
                    gender=gender,
                    phone=phone,
                    staff_number=f"YJ{n:06d}",
                )
            )
    User.objects.bulk_create(new_users, ignore_conflicts=True)
    ctx.cadres = list(User.objects.filter(username__startswith="cadre").select_related("unit"))

    for username, (name, unit_code, position, rank) in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                full_name=name,
                unit=ctx.units[unit_code],
                position=position,
                rank=rank,
                password=password,
                email=f"{username}@demo.lectern.local",
            )
            user.save()
        ctx.users[username] = user
    _business_admin_without_superuser(ctx.users["admin"])
    grants = [
        ("admin", Role.ADMIN, "YJ"),
        ("organizer", Role.ORGANIZER, "YJC"),
        ("organizer2", Role.ORGANIZER, "LC"),
        ("liaison", Role.LIAISON, "YJC-QH"),
        ("sysadmin", Role.SYSTEM_ADMIN, "YJ"),
        ("secadmin", Role.SECURITY_ADMIN, "YJ"),
        ("auditor", Role.AUDIT_ADMIN, "YJ"),
    ]
    for username, role, code in grants:
        RoleGrant.objects.get_or_create(user=ctx.users[username], role=role, unit=ctx.units[code])


# The organization department's business data in the Django admin (not accounts, roles, the audit
# log or anything of core: those belong to the three administrators).
BUSINESS_APPS = (
    "plans",
    "programs",
    "enrollment",
    "attendance",
    "evaluation",
    "credits",
    "reports",
)


def _business_admin_without_superuser(admin) -> None:
    """三员分立: the demo's business administrator (组织部) is not a Django superuser (that is
    break-glass only, audited at sign-in); it reaches the admin with the business apps'
    permissions through a group."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="组织部业务管理")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=BUSINESS_APPS))
    if admin.is_superuser or not admin.is_staff:
        admin.is_superuser, admin.is_staff = False, True
        admin.save(update_fields=["is_superuser", "is_staff"])
    admin.groups.add(group)


def seed(ctx):
    seed_units(ctx)
    seed_people(ctx)
    ctx.say(f"accounts: {len(ctx.units)} units, {len(ctx.cadres)} cadres")
