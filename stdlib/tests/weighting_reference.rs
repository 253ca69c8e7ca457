//! The weighting methods against reference libraries and exact solutions
//! on fixed data (SEMANTICS.md §6): 60-return windows of the 8 ETFs
//! `spy, tlt, gld, ief, efa, eem, vnq, dbc` ending 2015-12-31 (`A`) and
//! 2022-09-30 (`B`, every mean negative), and of all 21 ETFs ending
//! 2015-12-31 (`C`, HRP leaf orders). Data: `weighting_data.rs`.
//!
//! Where the expected numbers come from (numpy 2.4, pandas 3.1, scipy 1.17,
//! scikit-learn 1.9.1, PyPortfolioOpt 1.6.0, skfolio 1.12.2; the Python is
//! not kept, only its output):
//! - covariances: `numpy.cov`, `sklearn.covariance.ledoit_wolf`,
//!   PyPortfolioOpt `risk_models.exp_cov(span=30, frequency=1)`;
//! - inv_vol: numpy `(1/sigma)/sum`, equal to skfolio `InverseVolatility`
//!   to 6e-17;
//! - HRP: PyPortfolioOpt `HRPOpt(returns).optimize("single" | "ward")`,
//!   leaf orders `scipy.cluster.hierarchy.to_tree(Z).pre_order()`;
//! - ERC: an independent Newton solve in numpy iterated to machine
//!   precision, its risk contributions equal to 1e-14 (skfolio
//!   `RiskBudgeting` lands 1.7e-5 (A) / 8.5e-6 (B) away from it);
//! - min_var / max_sharpe with `0 <= w <= 0.4`: the exact KKT point found
//!   by enumerating all 3^8 active sets (each asset at 0, at 0.4 or free),
//!   solving each equality-constrained QP (homogenised for max-Sharpe) and
//!   keeping the one that is feasible with non-negative multipliers
//!   (PyPortfolioOpt's cvxpy solve lands 2.5e-8 / 3.7e-9 away from it).
//!
//! Tolerance: 1e-12 absolute on weights (measured <= 1e-14; SEMANTICS asks
//! 1e-6), 1e-12 relative on covariances.

#[path = "weighting_data.rs"]
mod data;

use data::{last, returns, COLS8, PRICES_2015, PRICES_2022};
use ndarray::{Array2, ArrayView2};
use strat_stdlib::weighting::{covariance, erc, hrp, inverse_vol, mean_variance, Bounds, Linkage};

const ALL21: [&str; 21] =
    ["agg", "bil", "dbc", "eem", "efa", "ewj", "gld", "hyg", "ief", "iev", "iwm", "iyr", "lqd", "mdy", "qqq", "shy", "spy", "tip", "tlt", "vnq", "vti"];

fn window(which: char) -> Array2<f64> {
    match which {
        'A' => last(&returns(PRICES_2015, &COLS8), 60).to_owned(),
        'B' => last(&returns(PRICES_2022, &COLS8), 60).to_owned(),
        _ => last(&returns(PRICES_2015, &ALL21), 60).to_owned(),
    }
}

fn sample(w: &Array2<f64>) -> Array2<f64> {
    covariance::sample_cov(w.view())
}

fn lw(w: &Array2<f64>) -> Array2<f64> {
    covariance::ledoit_wolf(w.view()).0
}

fn check(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let worst = got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
    assert!(worst <= tol, "{what}: max |diff| {worst:e} > {tol:e}\n got {got:?}\nwant {want:?}");
}

fn check_rel(got: ArrayView2<f64>, want: &[f64], what: &str) {
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    check(got.as_slice().unwrap(), want, 1e-12 * scale, what);
}

const W: f64 = 1e-12;

#[test]
fn covariances_match_numpy_sklearn_pypfopt() {
    let a = window('A');
    check_rel(sample(&a).view(), A_SAMPLE_COV, "A sample cov");
    let (m, shrink) = covariance::ledoit_wolf(a.view());
    check_rel(m.view(), A_LW_COV, "A ledoit-wolf");
    check(&[shrink], &[A_LW_SHRINKAGE], 1e-14, "A shrinkage");
    check_rel(covariance::ewma_cov(a.view(), 30.0).view(), A_EWMA30_COV, "A ewma span 30");
    let (_, shrink_b) = covariance::ledoit_wolf(window('B').view());
    check(&[shrink_b], &[B_LW_SHRINKAGE], 1e-14, "B shrinkage");
}

#[test]
fn inv_vol_matches_skfolio() {
    for (x, want) in [('A', A_INV_VOL), ('B', B_INV_VOL)] {
        let w = inverse_vol::inv_vol(sample(&window(x)).view()).unwrap();
        check(w.as_slice().unwrap(), want, W, &format!("{x} inv_vol"));
    }
}

#[test]
fn erc_matches_exact_solution() {
    let cases = [('A', false, A_ERC), ('B', false, B_ERC), ('A', true, A_ERC_LW), ('B', true, B_ERC_LW), ('C', false, C_ERC)];
    for (x, use_lw, want) in cases {
        let win = window(x);
        let cov = if use_lw { lw(&win) } else { sample(&win) };
        let w = erc::erc(cov.view()).unwrap();
        check(w.as_slice().unwrap(), want, W, &format!("{x} erc lw={use_lw}"));
        let rc = erc::risk_contributions(cov.view(), w.view());
        let n = rc.len() as f64;
        check(rc.as_slice().unwrap(), &vec![1.0 / n; rc.len()], 1e-12, "risk contributions");
    }
}

#[test]
fn hrp_matches_pypfopt() {
    let cases = [
        ('A', Linkage::Single, A_HRP_SINGLE, A_HRP_SINGLE_ORDER),
        ('A', Linkage::Ward, A_HRP_WARD, A_HRP_WARD_ORDER),
        ('B', Linkage::Single, B_HRP_SINGLE, B_HRP_SINGLE_ORDER),
        ('B', Linkage::Ward, B_HRP_WARD, B_HRP_WARD_ORDER),
        ('C', Linkage::Single, C_HRP_SINGLE, C_HRP_SINGLE_ORDER),
        ('C', Linkage::Ward, C_HRP_WARD, C_HRP_WARD_ORDER),
    ];
    for (x, linkage, want, order) in cases {
        let cov = sample(&window(x));
        assert_eq!(hrp::leaf_order(cov.view(), linkage).unwrap(), order, "{x} {linkage:?} order");
        let w = hrp::hrp(cov.view(), linkage).unwrap();
        check(w.as_slice().unwrap(), want, W, &format!("{x} hrp {linkage:?}"));
    }
}

#[test]
fn min_var_matches_exact_kkt_point() {
    let cases = [('A', false, A_MIN_VAR), ('B', false, B_MIN_VAR), ('A', true, A_MIN_VAR_LW), ('B', true, B_MIN_VAR_LW)];
    for (x, use_lw, want) in cases {
        let win = window(x);
        let cov = if use_lw { lw(&win) } else { sample(&win) };
        let w = mean_variance::min_var(cov.view(), Bounds::SEMANTICS).unwrap();
        check(w.as_slice().unwrap(), want, W, &format!("{x} min_var lw={use_lw}"));
    }
}

#[test]
fn max_sharpe_matches_exact_kkt_point() {
    for (use_lw, want) in [(false, A_MAX_SHARPE), (true, A_MAX_SHARPE_LW)] {
        let win = window('A');
        let cov = if use_lw { lw(&win) } else { sample(&win) };
        let mu = covariance::column_means(win.view());
        let r = mean_variance::max_sharpe(cov.view(), mu.view(), Bounds::SEMANTICS).unwrap();
        assert!(!r.min_var_fallback);
        check(r.weights.as_slice().unwrap(), want, W, &format!("A max_sharpe lw={use_lw}"));
    }
}

#[test]
fn max_sharpe_without_positive_mean_is_min_var() {
    let win = window('B');
    let mu = covariance::column_means(win.view());
    assert!(mu.iter().all(|m| *m < 0.0));
    let r = mean_variance::max_sharpe(sample(&win).view(), mu.view(), Bounds::SEMANTICS).unwrap();
    assert!(r.min_var_fallback);
    check(r.weights.as_slice().unwrap(), B_MIN_VAR, W, "B max_sharpe -> min_var");
}

// ---- expected values (generated; see the module doc) ----

const A_SAMPLE_COV: &[f64] = &[
    8.349696685836128e-05,
    -1.8254742373596165e-05,
    5.315613980324081e-06,
    -9.53658793127813e-06,
    6.879988464667098e-05,
    8.354130412491317e-05,
    6.391443287516587e-05,
    3.024622280310407e-05,
    -1.8254742373596165e-05,
    5.9403921743437646e-05,
    1.2487051474838068e-05,
    2.450355827632207e-05,
    -1.6250665664734575e-05,
    -2.288841297017188e-05,
    5.580824175827726e-06,
    -1.9679204210249153e-05,
    5.315613980324081e-06,
    1.2487051474838068e-05,
    7.74647226624427e-05,
    7.980213915614248e-06,
    1.0052628625968596e-05,
    2.229847058340274e-05,
    1.1434268027906484e-05,
    2.599637684572901e-05,
    -9.53658793127813e-06,
    2.450355827632207e-05,
    7.980213915614248e-06,
    1.16013789981361e-05,
    -8.2932677030598e-06,
    -1.1334574971774992e-05,
    3.0184259095395766e-06,
    -5.978835504039018e-06,
    6.879988464667098e-05,
    -1.6250665664734575e-05,
    1.0052628625968596e-05,
    -8.2932677030598e-06,
    7.313547106308926e-05,
    8.560494960016928e-05,
    5.455998688410045e-05,
    3.084617473004127e-05,
    8.354130412491317e-05,
    -2.288841297017188e-05,
    2.229847058340274e-05,
    -1.1334574971774992e-05,
    8.560494960016928e-05,
    0.00015852607412219924,
    6.995007995759792e-05,
    5.249038440657006e-05,
    6.391443287516587e-05,
    5.580824175827726e-06,
    1.1434268027906484e-05,
    3.0184259095395766e-06,
    5.455998688410045e-05,
    6.995007995759792e-05,
    0.00010383472930105541,
    9.471978016099555e-06,
    3.024622280310407e-05,
    -1.9679204210249153e-05,
    2.599637684572901e-05,
    -5.978835504039018e-06,
    3.084617473004127e-05,
    5.249038440657006e-05,
    9.471978016099555e-06,
    9.7409743789769e-05,
];
const A_LW_COV: &[f64] = &[
    8.206907278243115e-05,
    -1.624297941139855e-05,
    4.729807009833859e-06,
    -8.48560873950186e-06,
    6.121779683063928e-05,
    7.433463891909363e-05,
    5.687074602510631e-05,
    2.6912939345229956e-05,
    -1.624297941139855e-05,
    6.063120048872829e-05,
    1.1110916597116125e-05,
    2.180314487286276e-05,
    -1.4459761875116797e-05,
    -2.0365996573681023e-05,
    4.9657897291238086e-06,
    -1.7510458503217652e-05,
    4.729807009833859e-06,
    1.1110916597116125e-05,
    7.67016117537532e-05,
    7.100754843703824e-06,
    8.944779195471969e-06,
    1.9841068757878892e-05,
    1.017415509683305e-05,
    2.3131447447151768e-05,
    -8.48560873950186e-06,
    2.180314487286276e-05,
    7.100754843703824e-06,
    1.8096734554686677e-05,
    -7.3793085542997795e-06,
    -1.008544870892229e-05,
    2.6857804344803127e-06,
    -5.319938238992143e-06,
    6.121779683063928e-05,
    -1.4459761875116797e-05,
    8.944779195471969e-06,
    -7.3793085542997795e-06,
    7.284946510846425e-05,
    7.617086044887507e-05,
    4.85472062824864e-05,
    2.7446773600330975e-05,
    7.433463891909363e-05,
    -2.0365996573681023e-05,
    1.9841068757878892e-05,
    -1.008544870892229e-05,
    7.617086044887507e-05,
    0.00014882960106602213,
    6.224123492536124e-05,
    4.6705684241565745e-05,
    5.687074602510631e-05,
    4.9657897291238086e-06,
    1.017415509683305e-05,
    2.6857804344803127e-06,
    4.85472062824864e-05,
    6.224123492536124e-05,
    0.00010016551314131625,
    8.428119156765499e-06,
    2.6912939345229956e-05,
    -1.7510458503217652e-05,
    2.3131447447151768e-05,
    -5.319938238992143e-06,
    2.7446773600330975e-05,
    4.6705684241565745e-05,
    8.428119156765499e-06,
    9.44485928341139e-05,
];
const A_LW_SHRINKAGE: f64 = 0.09512367750107677;
const A_EWMA30_COV: &[f64] = &[
    0.00010248871474673016,
    -3.5069440507743684e-05,
    1.3747317247750464e-05,
    -1.552127415173628e-05,
    8.87665152127608e-05,
    8.985339509872954e-05,
    7.468540541222085e-05,
    3.433171411642934e-05,
    -3.5069440507743684e-05,
    6.905006141552516e-05,
    5.451794225855017e-06,
    2.689158129673133e-05,
    -3.685696255658705e-05,
    -3.783974509965471e-05,
    -1.1770758430124189e-05,
    -3.63869919042233e-05,
    1.3747317247750464e-05,
    5.451794225855017e-06,
    8.46759132002858e-05,
    4.7438844097124344e-06,
    1.640492126204444e-05,
    2.9129324563957082e-05,
    1.3018120453052234e-05,
    3.59656317092242e-05,
    -1.552127415173628e-05,
    2.689158129673133e-05,
    4.7438844097124344e-06,
    1.186862246500424e-05,
    -1.5426245008674577e-05,
    -1.791168331283239e-05,
    -4.00483894033221e-06,
    -1.020429032390138e-05,
    8.87665152127608e-05,
    -3.685696255658705e-05,
    1.640492126204444e-05,
    -1.5426245008674577e-05,
    9.193013279656352e-05,
    8.669334591793705e-05,
    6.691654954005179e-05,
    3.8848168682923096e-05,
    8.985339509872954e-05,
    -3.783974509965471e-05,
    2.9129324563957082e-05,
    -1.791168331283239e-05,
    8.669334591793705e-05,
    0.00013586689304173087,
    6.336597952311247e-05,
    5.361025542124477e-05,
    7.468540541222085e-05,
    -1.1770758430124189e-05,
    1.3018120453052234e-05,
    -4.00483894033221e-06,
    6.691654954005179e-05,
    6.336597952311247e-05,
    8.726978673246888e-05,
    1.8544602728382992e-05,
    3.433171411642934e-05,
    -3.63869919042233e-05,
    3.59656317092242e-05,
    -1.020429032390138e-05,
    3.8848168682923096e-05,
    5.361025542124477e-05,
    1.8544602728382992e-05,
    0.00010962755031270761,
];
const A_INV_VOL: &[f64] = &[
    0.10500518798174073,
    0.12449116978373298,
    0.10901697354721897,
    0.28170288782855796,
    0.11219721451351017,
    0.07620715597491586,
    0.09416180803230007,
    0.09721760233802337,
];
const A_ERC: &[f64] = &[
    0.08854369179449614,
    0.15269344293559153,
    0.1000951003633283,
    0.32961699513468073,
    0.08938446625378435,
    0.06137603413474543,
    0.07111280645207507,
    0.10717746293129843,
];
const A_ERC_LW: &[f64] = &[
    0.09301116056985874,
    0.16768953356371474,
    0.10827091741776908,
    0.28136025592433456,
    0.09409107124352611,
    0.06581761177006426,
    0.07747026805017868,
    0.1122891814605538,
];
const A_HRP_SINGLE: &[f64] = &[
    0.03979197371186365,
    0.10739133997263965,
    0.10729277385798046,
    0.5498886603637834,
    0.04542951678511988,
    0.02567822741889747,
    0.03920334372262339,
    0.08532416416709217,
];
const A_HRP_SINGLE_ORDER: &[usize] = &[1, 3, 2, 7, 6, 5, 0, 4];
const A_HRP_WARD: &[f64] = &[
    0.04886063638494466,
    0.10586757242429014,
    0.07625863076338363,
    0.5420863320188609,
    0.05578298570597649,
    0.04373245344751208,
    0.06676700756512169,
    0.060644381689910425,
];
const A_HRP_WARD_ORDER: &[usize] = &[1, 3, 6, 5, 0, 4, 2, 7];
const A_MIN_VAR: &[f64] = &[0.11689633560322965, 0.1834104895887613, 0.0555065669160024, 0.4, 0.11877570674398481, 0.0, 0.0, 0.12541090114802186];
const A_MIN_VAR_LW: &[f64] = &[0.1184919071357543, 0.17515708629521606, 0.0661980978806252, 0.4, 0.11791663117926414, 0.0, 0.0, 0.12223627750914029];
const A_MAX_SHARPE: &[f64] = &[0.39999999999999997, 0.1452237354231248, 0.0, 0.05477626457687496, 2.002085291538613e-16, 1.4011293572244563e-16, 0.4, 0.0];
const A_MAX_SHARPE_LW: &[f64] = &[0.4, 0.13011213329880933, 0.0, 0.06988786670119064, 0.0, 0.0, 0.4, 1.0763999588311718e-17];
const B_LW_SHRINKAGE: f64 = 0.09632212239173056;
const B_INV_VOL: &[f64] = &[
    0.10154841265499774,
    0.10610700511283701,
    0.1688441548949331,
    0.20007596863754085,
    0.10689578774350557,
    0.1272677570427114,
    0.09975145657325162,
    0.08950945734022277,
];
const B_ERC: &[f64] = &[
    0.08979735462234831,
    0.13987512112898087,
    0.1471554242561257,
    0.1991961214396193,
    0.08630750520196952,
    0.11706639053776133,
    0.09017709869104411,
    0.13042498412215076,
];
const B_ERC_LW: &[f64] = &[
    0.09139773460900767,
    0.1407837903869639,
    0.14660171427117288,
    0.19274092066364815,
    0.08805875278858295,
    0.1178216639760237,
    0.09188636655279078,
    0.13070905675180997,
];
const B_HRP_SINGLE: &[f64] = &[
    0.05231931714008506,
    0.14604654972107461,
    0.20358693072818024,
    0.2858694130292506,
    0.05797449480428146,
    0.09308708262677362,
    0.057186185826787715,
    0.1039300261235667,
];
const B_HRP_SINGLE_ORDER: &[usize] = &[7, 1, 3, 2, 6, 5, 0, 4];
const B_HRP_WARD: &[f64] = &[
    0.05231931714008506,
    0.08324764893267587,
    0.2811762006187586,
    0.29598773817800667,
    0.05797449480428146,
    0.09308708262677362,
    0.057186185826787715,
    0.07902133187263098,
];
const B_HRP_WARD_ORDER: &[usize] = &[1, 3, 7, 2, 6, 5, 0, 4];
const B_MIN_VAR: &[f64] = &[3.156115193785139e-17, 0.017169574406939392, 0.31803806662378103, 0.4, 0.0, 0.1660083409923354, 0.0, 0.09878401797694404];
const B_MIN_VAR_LW: &[f64] = &[-7.497337727364488e-17, 0.04699163854844193, 0.2577997826965055, 0.4, 0.0, 0.18095969018629526, 0.0, 0.1142488885687575];
const C_HRP_SINGLE: &[f64] = &[
    0.0018939529574690667,
    0.95559043771016,
    0.00024736517258715137,
    5.149941538371754e-05,
    9.098984962292154e-05,
    8.974877881551236e-05,
    0.00011247612895862332,
    0.0004584673595599127,
    0.0004156378850681821,
    4.934405680765624e-05,
    7.08801565295575e-05,
    8.362308438423497e-05,
    0.0006149384949689924,
    9.985649954755553e-05,
    3.4667077963460366e-05,
    0.038623334917562195,
    8.328109033380698e-05,
    0.0011514497579096165,
    8.117263118562363e-05,
    7.418543407181499e-05,
    8.269154111043672e-05,
];
const C_HRP_SINGLE_ORDER: &[usize] = &[1, 2, 7, 11, 19, 3, 5, 4, 9, 14, 16, 20, 10, 13, 6, 15, 17, 12, 0, 8, 18];
const C_HRP_WARD: &[f64] = &[
    0.0010768392606780484,
    0.9560962659779031,
    0.0001907756902005702,
    9.635206054761826e-05,
    0.00010606361020599115,
    4.119410640927595e-05,
    0.0002398951479466626,
    0.00025425390234202924,
    0.00039942222997255323,
    0.00010048328721563967,
    6.641724740267763e-05,
    0.00018355060270383353,
    0.0007613734272766083,
    8.059255679375736e-05,
    6.399774596213613e-05,
    0.03778067713993763,
    7.895577815206745e-05,
    0.0019312080482920444,
    0.0002846268016091505,
    0.00012249452232898552,
    4.456085611976744e-05,
];
const C_HRP_WARD_ORDER: &[usize] = &[15, 17, 12, 0, 8, 18, 11, 19, 7, 10, 13, 14, 16, 20, 5, 3, 4, 9, 1, 2, 6];
const C_ERC: &[f64] = &[
    0.02382406329648196,
    0.727979084923246,
    0.005817979421567948,
    0.0030249988062663194,
    0.0037077497918168493,
    0.004310819999728684,
    0.005735283678741038,
    0.00830156278744624,
    0.017162510668000272,
    0.0036288802576127147,
    0.003535482790193624,
    0.003332888831408002,
    0.010860188621253807,
    0.003645752666731097,
    0.003722596328643054,
    0.13260297207110172,
    0.0037530997279132073,
    0.019781269228494887,
    0.00831184203044046,
    0.003216198867667835,
    0.0037447752052442726,
];
